/// <reference types="node" />
// store.ts - golden test for typescript.scm.  A triple-slash directive is
// an ordinary comment.

import { EventEmitter } from 'events';

/** Identifies an item. */
export type ItemId = string | number;

export type Point = { x: number; y: number; norm(): number };   // alias members: variables + function

type Route = `/items/${ItemId}`;          // a template literal type: a string

export interface Item {
  readonly id: ItemId;
  title: string;
  tags?: string[];
  render(prefix: string): string;
}

export enum Status { Draft = "draft", Live = 'live', Archived }

declare function log(message: string): void;

/** Overloads: each signature names the function. */
export function find(id: number): Item | undefined;
export function find(id: string): Item | undefined;
export function find(id: ItemId): Item | undefined {
  return items.get(id);
}

const items = new Map<ItemId, Item>();

export abstract class Store<T extends Item> extends EventEmitter {
  private static count: number = 0;
  protected cache: Record<string, T> = {};
  #secret = "hidden";

  constructor(private readonly name: string, public limit = 10) {  // parameter properties: not variables
    super();
  }

  abstract load(id: ItemId): Promise<T>;

  save(item: T, opts: { overwrite: boolean } = { overwrite: false }): void {   // inline type member: no
    const { id, title: heading } = item;
    let key: string = `${this.name}:${id}`;
    this.cache[key] = item;
    Store.count += 1;
    this.emit("saved", heading);
  }

  get size(): number {
    return Object.keys(this.cache).length;
  }
}

namespace Internal {                       // a namespace is not a class
  export const version = "1.0";
}
