#!/usr/bin/env node
// cart.js - golden test for javascript.scm (a CommonJS module).
'use strict';

const { readFile } = require('fs/promises');
const path = require("path"), os = require('os');   // two variables on one line

/**
 * Sum the prices of a cart.  A JSDoc block: the docstring kind.
 * @param {Array<{price: number}>} items
 */
function total(items, { discount = 0, currency } = {}) {   // parameters are not variables
  let sum = 0;
  for (const { price } of items) {
    sum += price;
  }
  return sum * (1 - discount);
}

/* Not a doc: a plain block comment mentioning class Foo and function bar. */
const format = (amount, currency = 'EUR') =>
  `${amount.toFixed(2)} ${currency === 'EUR' ? '\u20ac' : `(${currency})`}`;

async function* lines(file) {
  const text = await readFile(path.join(os.tmpdir(), file), 'utf8');
  yield* text.split(/\r?\n/);          // a regex is not a string
}

class Cart extends Array {
  static #instances = 0;
  taxRate = 0.2;
  onChange = () => {};

  constructor(...items) {
    super(...items);
    Cart.#instances++;
  }

  get size() { return this.length; }

  #log(message) { console.log("[cart]: %s", message); }

  checkout(
    customer,
    options,
  ) {
    const [first, , third = null, ...others] = this;
    let { name: who, address: { city } } = customer;
    this.#log(`checkout for ${who} in ${city}`);
    return { first, third, others, total: total(this, options) };
  }
}

Cart.prototype.describe = function describeCart() {
  return this.size + ' items in the cart';
};

const helpers = {
  empty: function () { return new Cart(); },
  merge(a, b) { return new Cart(...a, ...b); },
  label: "helpers",
};

let retries;
retries = 3;
[retries] = [4];

module.exports = { total, format, lines, Cart, helpers };
