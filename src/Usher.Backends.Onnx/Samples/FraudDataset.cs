using System.Globalization;
using Usher.Backends.Onnx.Distillation;

namespace Usher.Backends.Onnx.Samples;

/// <summary>
/// A synthetic labelled fraud dataset with a known rule: 30 standard normal features; a row is fraud
/// (label 1) when <c>Σ a_i·x_i (i &lt; 10) + 0.8·x10·x11 + 0.5·(x12² − 1) + 0.6·max(0, x13) + noise &gt; 1.5</c>,
/// the noise normal with standard deviation 0.25. The other
/// 16 features are noise. Rows are a fixed function of the seed.
/// </summary>
internal static class FraudDataset
{
    /// <summary>Features per row.</summary>
    public const int Features = SampleModels.FraudFeatures;

    private const double Threshold = 1.5;
    private const double NoiseStd = 0.25;

    /// <summary>The rows' features (<c>rows × 30</c>) and labels (0 legit, 1 fraud).</summary>
    public static (float[] Features, int[] Labels) Generate(ulong seed, int rows)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        var random = new SplitMix64(seed);
        var features = new float[(long)rows * Features];
        var labels = new int[rows];
        for (var r = 0; r < rows; r++)
        {
            var x = features.AsSpan(r * Features, Features);
            for (var f = 0; f < Features; f++)
            {
                x[f] = (float)MlpNetwork.Gaussian(random);
            }

            labels[r] = Score(x) + (NoiseStd * MlpNetwork.Gaussian(random)) > Threshold ? 1 : 0;
        }

        return (features, labels);
    }

    /// <summary>The rule's score of a row, before the noise.</summary>
    public static double Score(ReadOnlySpan<float> x)
    {
        double score = 0;
        for (var i = 0; i < 10; i++)
        {
            var weight = (i % 2 == 0 ? 1.0 : -1.0) * (1.0 - (i / 20.0));
            score += weight * x[i];
        }

        return score + (0.8 * x[10] * x[11]) + (0.5 * ((x[12] * x[12]) - 1)) + (0.6 * Math.Max(0, x[13]));
    }

    /// <summary>
    /// Writes <paramref name="rows"/> rows as CSV: a header <c>features_0,...,features_29,label</c> (the
    /// column names <c>usher batch</c> and <c>usher optimize distill --data</c> map onto the input
    /// <c>features</c>), then one row per line, values in invariant culture with round-trip precision.
    /// </summary>
    public static void WriteCsv(TextWriter writer, ulong seed, int rows)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var (features, labels) = Generate(seed, rows);
        writer.Write(string.Join(',', Enumerable.Range(0, Features).Select(i => "features_" + i.ToString(CultureInfo.InvariantCulture))));
        writer.Write(",label\n");
        for (var r = 0; r < rows; r++)
        {
            for (var f = 0; f < Features; f++)
            {
                writer.Write(features[(r * Features) + f].ToString("R", CultureInfo.InvariantCulture));
                writer.Write(',');
            }

            writer.Write(labels[r] == 1 ? "1\n" : "0\n");
        }
    }
}
