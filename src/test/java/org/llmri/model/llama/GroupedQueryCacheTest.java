package org.llmri.model.llama;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.llmri.model.DecoderFixtures;
import org.llmri.model.KvCache;
import org.llmri.model.LoadedModel;
import org.llmri.model.Step;

/** Grouped-query attention keeps only the KV heads: 2 of llama-tiny-f32's 4 heads, 1 of llama-tiny-tied's. */
class GroupedQueryCacheTest {
    @Test
    void theCacheHoldsOnlyTheKvHeads() {
        for (String fixture : new String[] {"llama-tiny-f32", "llama-tiny-tied-bf16"}) {
            try (LoadedModel m = LoadedModel.open(DecoderFixtures.dir(fixture))) {
                LlamaConfig c = ((LlamaModel) m.model()).config();
                int n = DecoderFixtures.IDS.length;
                int[] positions = new int[n];
                for (int i = 0; i < n; i++) positions[i] = i;
                KvCache cache = m.model().newCache(1);
                m.model().forward(new Step(new int[n], DecoderFixtures.IDS.clone(), positions, new int[] {n - 1}, new int[1],
                        new int[1]), cache, null);
                for (int layer = 0; layer < c.numLayers(); layer++) {
                    // positions [0, capacity) of the KV heads only; a capacity of n or more, grown by doubling (< 2n)
                    for (float[] a : new float[][] {cache.keys(0, layer), cache.values(0, layer)}) {
                        assertThat(a.length % c.kvWidth()).isZero();
                        assertThat(a.length / c.kvWidth()).isBetween(n, 2 * n - 1);
                        assertThat(a.length).isLessThan(n * c.qWidth());
                    }
                }
                assertThat(c.numKvHeads()).isLessThan(c.numHeads());
            }
        }
    }
}
