"""Who may do what: every rule the @allow directives show, named once.

A field or operation lists the rules that grant it (`allowed(*EVENT_STAFF, CONTROLLER_HERE)`);
any one of them grants access. The HTTP routes that serve the same data (the CSV exports) take
the same rule sets, so the API and the files never disagree.
"""

from __future__ import annotations

from models import AnnonceTarget
from permissions.policy import Allow
from permissions.roles import Condition, Role

ADMIN = Allow(Role.ADMIN)
ORGANIZER = Allow(Role.ORGANIZER)
GESTIONNAIRE = Allow(Role.GESTIONNAIRE_DES_SALLES)
# The event's staff: the platform's admins, its president, its gestionnaires des salles.
EVENT_STAFF = (ADMIN, ORGANIZER, GESTIONNAIRE)

MEMBER = Allow(Role.MEMBER)
MEMBER_SELF = Allow(Role.MEMBER, Condition.SELF)
MEMBER_AUTHOR = Allow(Role.MEMBER, Condition.AUTHOR)
MEMBER_WITH_ACCESS = Allow(Role.MEMBER, Condition.HAS_SESSION_ACCESS)
PARTICIPANT = Allow(Role.PARTICIPANT)
EXPOSANT = Allow(Role.EXPOSANT)
EXPOSANT_SELF = Allow(Role.EXPOSANT, Condition.SELF)
EXPOSANT_SCANNED = Allow(Role.EXPOSANT, Condition.SCANNED_BY_ME)
CONTROLLER = Allow(Role.CONTROLLEUR_DES_BADGES)
GESTIONNAIRE_HERE = Allow(Role.GESTIONNAIRE_DES_SALLES, Condition.ASSIGNED_TO_ROOM)
CONTROLLER_HERE = Allow(Role.CONTROLLEUR_DES_BADGES, Condition.ASSIGNED_TO_ROOM)

# Who reads a session's questions (Session.questions, and a question fetched by id).
QUESTION_READERS = (*EVENT_STAFF, MEMBER_WITH_ACCESS)
# Who moderates a session's questions, and sees those hidden from participants.
QUESTION_MODERATORS = (ADMIN, ORGANIZER, GESTIONNAIRE_HERE)
# Who may change a session: a gestionnaire only in the room it is assigned to right now.
SESSION_EDITORS = (ADMIN, ORGANIZER, GESTIONNAIRE_HERE)
# Who scans badges at a door: a controller only at the room it is assigned to at that moment.
DOOR_SCANNERS = (ADMIN, ORGANIZER, CONTROLLER_HERE)
# Who reads an annonce, by its target (Event.annonces, annoncePublished): the event's staff read
# them all; every other member, those for everyone and those for its role.
ANNONCE_READERS: dict[AnnonceTarget, tuple[Allow, ...]] = {
    AnnonceTarget.ALL: (MEMBER,),
    AnnonceTarget.PARTICIPANTS: (*EVENT_STAFF, PARTICIPANT),
    AnnonceTarget.EXPOSANTS: (*EVENT_STAFF, EXPOSANT),
    AnnonceTarget.CONTROLLEURS: (*EVENT_STAFF, CONTROLLER),
    AnnonceTarget.GESTIONNAIRES: EVENT_STAFF,
}
# Who reads stats, in the API and as CSV (app/exports.py).
EXPOSANT_STATS_RULES = (*EVENT_STAFF, EXPOSANT_SELF)
ROOM_STATS_RULES = (*EVENT_STAFF, CONTROLLER_HERE)
EVENT_STATS_RULES = EVENT_STAFF
