// Copies the Design System's JavaScript and images into static/govuk (fonts are not used).
const fs = require("fs");
const path = require("path");

const source = path.join(__dirname, "..", "node_modules", "govuk-frontend", "dist", "govuk");
const target = path.join(__dirname, "..", "static", "govuk");

fs.mkdirSync(target, { recursive: true });
fs.copyFileSync(path.join(source, "govuk-frontend.min.js"), path.join(target, "govuk-frontend.min.js"));
fs.cpSync(path.join(source, "assets", "images"), path.join(target, "assets", "images"), { recursive: true });
fs.copyFileSync(path.join(source, "assets", "manifest.json"), path.join(target, "assets", "manifest.json"));
