// Builds the front end into static/dist (never committed): GOV.UK Frontend compiled without GOV.UK
// branding (system fonts, no crown), htmx, Leaflet, and the project's own small scripts.
import { cpSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as sass from "sass";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const dist = join(root, "static", "dist");
const nm = join(root, "node_modules");

rmSync(dist, { recursive: true, force: true });
mkdirSync(join(dist, "css"), { recursive: true });
mkdirSync(join(dist, "js"), { recursive: true });

const css = sass.compile(join(root, "static", "src", "mhi.scss"), {
  loadPaths: [nm],
  style: "compressed",
  quietDeps: true,
  silenceDeprecations: ["import", "global-builtin"],
});
writeFileSync(join(dist, "css", "mhi.css"), css.css);

// GOV.UK Frontend's images (the fonts are GOV.UK branding and are not copied).
cpSync(join(nm, "govuk-frontend", "dist", "govuk", "assets", "images"), join(dist, "govuk", "images"), {
  recursive: true,
});
for (const name of ["govuk-frontend.min.js", "govuk-frontend.min.js.map"]) {
  cpSync(join(nm, "govuk-frontend", "dist", "govuk", name), join(dist, "js", name));
}
cpSync(join(nm, "htmx.org", "dist", "htmx.min.js"), join(dist, "js", "htmx.min.js"));
cpSync(join(nm, "leaflet", "dist", "leaflet.js"), join(dist, "js", "leaflet.js"));
cpSync(join(nm, "leaflet", "dist", "leaflet.js.map"), join(dist, "js", "leaflet.js.map"));
cpSync(join(nm, "leaflet", "dist", "leaflet.css"), join(dist, "css", "leaflet.css"));
cpSync(join(nm, "leaflet", "dist", "images"), join(dist, "css", "images"), { recursive: true });
cpSync(join(nm, "cytoscape", "dist", "cytoscape.min.js"), join(dist, "js", "cytoscape.min.js"));
cpSync(join(nm, "fullcalendar", "index.global.min.js"), join(dist, "js", "fullcalendar.min.js"));
cpSync(join(root, "static", "src", "js"), join(dist, "js"), { recursive: true });
console.log(`front end built into ${dist}`);
