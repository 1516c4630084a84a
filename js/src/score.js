// What a face's 101 score probabilities say: expected score, most probable class, an interval
// read from the distribution, and where the score stands among the manifest's reference ratings.
// Python counterpart: facepack/score.py (the same arithmetic, in the same order).

/** sum_k p_k * k (Python: facepack.spec.expected_points). */
export function expectedPoints(probs) {
  let s = 0;
  for (let k = 0; k < probs.length; k += 1) s += probs[k] * k;
  return s;
}

export function argmax(values) {
  let best = 0;
  for (let k = 1; k < values.length; k += 1) if (values[k] > values[best]) best = k;
  return best;
}

/** The smallest class k whose cumulative probability reaches q. */
export function quantileClass(probs, q) {
  let total = 0;
  for (let k = 0; k < probs.length; k += 1) {
    total += probs[k];
    if (total >= q) return k;
  }
  return probs.length - 1;
}

/** Percent of `reference` below `score`, counting ties as half. */
export function percentileAmong(score, reference) {
  let below = 0;
  let equal = 0;
  for (const r of reference) {
    if (r < score) below += 1;
    else if (r === score) equal += 1;
  }
  return (100 * (below + equal / 2)) / reference.length;
}

/**
 * {expected, argmax, probs, interval: [low, high], percentile} of one face's probabilities, by
 * the manifest's models.scorer.score (its `interval` quantiles and `reference` ratings, if any).
 */
export function scoreSummary(probs, score) {
  const expected = expectedPoints(probs);
  const [low, high] = score.interval;
  const reference = score.reference && score.reference.points;
  return {
    expected,
    argmax: argmax(probs),
    probs,
    interval: [quantileClass(probs, low), quantileClass(probs, high)],
    percentile: reference && reference.length ? percentileAmong(expected, reference) : null,
  };
}
