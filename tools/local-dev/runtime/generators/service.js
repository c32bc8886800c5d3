// generators.json points here (service and worker): loads the precompiled generator (see ../compiled.js).
module.exports = require('../compiled').load('generators/service/generator');
