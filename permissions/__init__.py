"""Policy: roles, conditions and the @allow mechanism. Pure checks over the viewer and the object."""

from permissions.fields import AllowDirective, Requirement, allowed, judge
from permissions.policy import Allow, Subject, permits
from permissions.roles import Condition, Role
from resolvers.viewer import Viewer

__all__ = [
    "Allow",
    "AllowDirective",
    "Condition",
    "Requirement",
    "Role",
    "Subject",
    "Viewer",
    "allowed",
    "judge",
    "permits",
]
