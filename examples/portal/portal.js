// The portal's side of the demo: follow the component's language, and offer
// to keep the reports (never answers) once the participant has them. In a
// real portal "save" would send the reports to the counselling record; here
// it only keeps them in this tab's sessionStorage, so the demo sends nothing.
const questionnaire = document.querySelector("aspekt-questionnaire");
const save = document.getElementById("save");
const preview = document.getElementById("save-preview");
const button = document.getElementById("save-button");
const status = document.getElementById("save-status");
let reports = [];

const TEXT = {
  de: { saved: "Gespeichert (in dieser Demo nur in diesem Browser-Tab)." },
  en: { saved: "Saved (in this demo only in this browser tab)." },
};

function setLanguage(locale) {
  document.documentElement.lang = locale;
}

questionnaire.addEventListener("aspekt-ready", (e) => setLanguage(e.detail.locale));
questionnaire.addEventListener("aspekt-locale", (e) => {
  setLanguage(e.detail.locale);
  status.textContent = "";
});

questionnaire.addEventListener("aspekt-report", (e) => {
  // One event per questionnaire; the last evaluation's reports are on the
  // element too.
  reports = questionnaire.reports;
  preview.textContent = JSON.stringify(reports, null, 2);
  status.textContent = "";
  save.hidden = false;
});

button.addEventListener("click", () => {
  sessionStorage.setItem("aspekt-reports", JSON.stringify(reports));
  status.textContent = (TEXT[document.documentElement.lang] ?? TEXT.en).saved;
});
