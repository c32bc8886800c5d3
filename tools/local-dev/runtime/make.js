// The Makefile runs this for every `make <command> [words…]`: plain JS that loads the precompiled
// src/make/main.ts (see ./compiled.js), so no transpiler starts and no word reaches a shell.
'use strict';
require('./compiled').load('src/make/main').main();
