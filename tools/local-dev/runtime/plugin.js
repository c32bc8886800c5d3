// nx.json points here: the plugin worker loads precompiled JS instead of registering swc; see ./compiled.js.
module.exports = require('./compiled').load('plugin');
