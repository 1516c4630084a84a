// () -> the number of tensors TF.js holds.
export default async function numTensors() {
  return (await import('@tensorflow/tfjs')).memory().numTensors;
}
