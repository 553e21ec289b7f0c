// The reasons behind Tandem's known losses, as far as they are understood. RESULTS.md lists
// the losses themselves from the figures; this file explains them and is edited by hand when
// a cause is found or fixed.
export const WHY: string[] = [
  'Not yet analysed for this build of the server.',
];
