#!/usr/bin/env node
// Parses each .cls and .trigger file named on the command line with the Apex grammar
// (@apexdevtools/apex-parser): lexer and parser errors alike are printed as
// "<file>:<line>:<column>: <message>", and the exit status is 1 if there was any.
"use strict";

const fs = require("node:fs");
const path = require("node:path");
const { ApexErrorListener, ApexParserFactory } = require("@apexdevtools/apex-parser");

class Collector extends ApexErrorListener {
  constructor(file) {
    super();
    this.file = file;
    this.errors = [];
  }

  apexSyntaxError(line, column, msg) {
    this.errors.push(`${this.file}:${line}:${column}: ${msg}`);
  }
}

function check(file) {
  const kind = path.extname(file);
  if (kind !== ".cls" && kind !== ".trigger") {
    return [`${file}: not an Apex class (.cls) or trigger (.trigger)`];
  }
  const collector = new Collector(file);
  const { parser } = ApexParserFactory.createLexerAndParser(fs.readFileSync(file, "utf8"), collector);
  // Both rules end at EOF, so trailing text is an error too.
  if (kind === ".cls") {
    parser.compilationUnit();
  } else {
    parser.triggerUnit();
  }
  return collector.errors;
}

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: node parse.js FILE.cls|FILE.trigger ...");
  process.exit(2);
}
let failed = false;
for (const file of files) {
  const errors = check(file);
  for (const error of errors) {
    console.error(error);
  }
  if (errors.length > 0) {
    failed = true;
  } else {
    console.log(`${file}: ok`);
  }
}
process.exit(failed ? 1 : 0);
