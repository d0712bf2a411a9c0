// GraphiQL for Agora, every asset served by Agora itself (nothing loaded from the internet).
// Queries go to /graphql on this server. To explore the schema in production, put an admin's
// access token in the Headers tab: {"Authorization": "Bearer <accessToken>"}.
(function () {
  "use strict";
  var url = new URL("/graphql", window.location.href).toString();
  var fetcher = GraphiQL.createFetcher({ url: url });
  // A link may carry the query to open with: /graphiql?query=...
  var shared = new URLSearchParams(window.location.search).get("query");
  var root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultEditorToolsVisibility: true,
      query: shared || undefined,
      defaultQuery: shared || (
        "# Log in first, then put the token in the Headers tab:\n" +
        '# {"Authorization": "Bearer <accessToken>"}\n' +
        'mutation { login(email: "president@agora.demo", password: "agora-demo") { accessToken } }\n'),
    })
  );
})();
