/**
 * What a vendor's site survey (`edge survey`) is written with: the context it gets, the findings
 * it returns, the call meter and the inventory tally. The CLI runs the surveys and renders them.
 */
export * from './context';
export * from './meter';
export * from './tally';
export * from './report';
