"""No two confirmed bookings of one resource overlap: a PostgreSQL exclusion constraint.

`[start, end)` ranges (tstzrange with the default '[)' bounds) of confirmed bookings of the same resource may not
overlap, so back-to-back bookings are allowed. btree_gist lets the GiST index compare resource ids with `=`; it is
a trusted extension (PostgreSQL 13+), so the database owner can create it.

SQLite has no exclusion constraints. There the guarantee is the booking service's overlap check inside the same
IMMEDIATE transaction that writes the booking (SQLite has one writer at a time), see mhi.resources.booking.
The constraint is not in Booking.Meta because the migration autodetector would then try to create it on SQLite.
"""

from django.db import migrations

CONSTRAINT = "booking_no_overlap_confirmed"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    schema_editor.execute(
        f"ALTER TABLE resources_booking ADD CONSTRAINT {CONSTRAINT} "
        "EXCLUDE USING gist (resource_id WITH =, tstzrange(start, \"end\", '[)') WITH &&) "
        "WHERE (status = 'confirmed')"
    )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"ALTER TABLE resources_booking DROP CONSTRAINT IF EXISTS {CONSTRAINT}")


class Migration(migrations.Migration):
    dependencies = [("resources", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
