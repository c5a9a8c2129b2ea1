namespace Usher.ControlPlane.Tests.Analysis;

/// <summary>Seeded generators of latencies and scores for analysis tests.</summary>
internal static class SampleData
{
    /// <summary>Latencies of 10 ms plus an exponential tail of mean 5 ms, times <paramref name="scale"/>.</summary>
    public static double[] Latencies(int seed, int count, double scale = 1.0)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => scale * (10 - (5 * Math.Log(1 - random.NextDouble())))).ToArray();
    }

    /// <summary>Normal scores (Box-Muller).</summary>
    public static double[] Normal(int seed, int count, double mean, double sd)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count)
            .Select(_ => mean + (sd * Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble())))
            .ToArray();
    }

    /// <summary>count labels, the first <paramref name="firstCount"/> equal to <paramref name="first"/>, the rest to <paramref name="second"/>.</summary>
    public static string[] Labels(string first, int firstCount, string second, int count) =>
        Enumerable.Range(0, count).Select(i => i < firstCount ? first : second).ToArray();
}
