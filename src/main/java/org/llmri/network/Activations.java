package org.llmri.network;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;
import org.llmri.LlmriException;
import org.llmri.io.Npy;

/** Reading a few units' time courses out of a run's [time, unit] activations without loading the file. */
public final class Activations {
    private Activations() {}

    /** The time courses of {@code units}: result[i][t] is unit {@code units[i]} at time point t. */
    public static double[][] columns(Path activations, int[] units) {
        try (Npy.Mapped m = Npy.map(activations)) {
            long[] shape = m.shape();
            if (shape.length != 2) throw new LlmriException(activations + ": activations must be 2-D [time, unit], shape is " + Arrays.toString(shape));
            if (shape[0] > Integer.MAX_VALUE) throw new LlmriException(activations + ": too many time points (" + shape[0] + ")");
            int time = (int) shape[0];
            long width = shape[1];
            for (int u : units) if (u < 0 || u >= width) throw new LlmriException(activations + ": no unit " + u + " (it has " + width + ")");
            double[][] out = new double[units.length][time];
            for (int t = 0; t < time; t++) {
                for (int i = 0; i < units.length; i++) out[i][t] = m.getDouble(t * width + units[i]);
            }
            return out;
        }
    }

    /**
     * The {@code n} units with the largest z (most task &gt; control), largest first; NaN z values never
     * chosen, ties broken by the lower unit number.
     */
    public static int[] strongest(double[] z, int n) {
        return IntStream.range(0, z.length).filter(u -> !Double.isNaN(z[u])).boxed()
                .sorted(Comparator.comparingDouble((Integer u) -> -z[u]).thenComparingInt(u -> u))
                .limit(n).mapToInt(Integer::intValue).toArray();
    }
}
