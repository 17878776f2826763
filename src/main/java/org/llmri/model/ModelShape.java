package org.llmri.model;

/**
 * The sizes every architecture reports the same way, read once from its config.
 *
 * @param eosTokenId -1 for an encoder, which has none
 */
public record ModelShape(int hiddenSize, int vocabSize, int numLayers, int maxPositions, int eosTokenId, boolean canGenerate) {}
