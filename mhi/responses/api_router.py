"""The one ninja Router of mhi.responses, shared by every area's api_<area>.py.

Two areas answer on the same path (a question's answer: the drafting area saves it with PUT, the export area
reads it with GET). Django picks the first URL pattern that matches whatever the method, so the operations of a
path must live in one router to become one pattern that dispatches by method.
"""

from ninja import Router

router = Router(tags=["responses"])
