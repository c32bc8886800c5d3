// generators.json points here: loads the precompiled generator (see ../compiled.js).
module.exports = require('../compiled').load('generators/sync-project-folders/generator');
