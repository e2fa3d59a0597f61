// Customers with identical histories contribute identical terms to a likelihood or a
// prediction: grouping them into one weighted row is exact and, on real data (times in whole
// days or weeks, small purchase counts), turns thousands of customers into hundreds of rows.
// A small open-addressing hash table over the raw bits of the key columns does the grouping
// without building a string per customer.

export interface CompressedRows {
  /** The distinct keys, one Float64Array per key column, in order of first appearance. */
  columns: Float64Array[];
  /** Number of customers in each distinct row. */
  weight: Float64Array;
  /** Row of each input customer. */
  rowOf: Int32Array;
}

/** Groups the rows of `columns` (all of one length) by identical values. */
export function compressRows(columns: readonly Float64Array[]): CompressedRows {
  const n = columns[0]?.length ?? 0;
  const width = columns.length;
  let capacity = 16;
  while (capacity < n * 2) capacity *= 2;
  const mask = capacity - 1;
  const slots = new Int32Array(capacity).fill(-1);
  const firstCustomer = new Int32Array(n);
  const counts = new Float64Array(n);
  const rowOf = new Int32Array(n);
  const bits = new Float64Array(1);
  const words = new Uint32Array(bits.buffer);
  let rows = 0;
  for (let i = 0; i < n; i++) {
    let hash = 0x811c9dc5;
    for (let c = 0; c < width; c++) {
      // + 0 turns −0 into 0, so the two zeros share a row as they compare equal.
      bits[0] = columns[c]![i]! + 0;
      hash = Math.imul(hash ^ words[0]!, 0x01000193);
      hash = Math.imul(hash ^ words[1]!, 0x01000193);
    }
    hash ^= hash >>> 15;
    let slot = hash & mask;
    for (;;) {
      const row = slots[slot]!;
      if (row === -1) {
        slots[slot] = rows;
        firstCustomer[rows] = i;
        counts[rows] = 1;
        rowOf[i] = rows;
        rows += 1;
        break;
      }
      if (sameRow(columns, firstCustomer[row]!, i)) {
        counts[row]! += 1;
        rowOf[i] = row;
        break;
      }
      slot = (slot + 1) & mask;
    }
  }
  const distinct = columns.map((column) => {
    const values = new Float64Array(rows);
    for (let row = 0; row < rows; row++) values[row] = column[firstCustomer[row]!]!;
    return values;
  });
  return { columns: distinct, weight: counts.slice(0, rows), rowOf };
}

function sameRow(columns: readonly Float64Array[], left: number, right: number): boolean {
  for (const column of columns) if (column[left] !== column[right]) return false;
  return true;
}
