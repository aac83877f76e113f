// Starts GOV.UK Frontend's components once the page has loaded.
import { initAll } from "./govuk-frontend.min.js";

initAll();
