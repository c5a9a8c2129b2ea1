using Usher.ControlPlane.Analysis;
using Usher.ControlPlane.Analysis.Summaries;

namespace Usher.ControlPlane.Tests.Analysis.Summaries;

/// <summary>One variant's requests in a window, as a single process would sample them, and split over replicas.</summary>
internal sealed record Traffic(bool[] Failed, double[] LatenciesMs, double[] Scores, string[] Labels)
{
    /// <summary>Requests with seeded latencies (times <paramref name="latencyScale"/>), normal scores and labels.</summary>
    public static Traffic Of(int seed, int requests, int errors, double latencyScale = 1, double scoreMean = 0.3, string[]? labels = null, bool scores = true)
    {
        var random = new Random(seed);
        var failed = Enumerable.Range(0, requests).Select(i => i < errors).OrderBy(_ => random.Next()).ToArray();
        return new Traffic(
            failed,
            SampleData.Latencies(seed + 1, requests, latencyScale),
            scores ? SampleData.Normal(seed + 2, requests, scoreMean, 0.1) : [],
            labels ?? []);
    }

    /// <summary>All of it, as one process records it.</summary>
    public VariantSample Sample() => new(Failed.Length, Failed.Count(f => f), LatenciesMs, Scores, Labels);

    /// <summary>
    /// The requests dealt at random to replicas in the given shares (each request, with its latency,
    /// score and label, goes to exactly one), as each replica records its part.
    /// </summary>
    public VariantSample[] Split(int seed, params double[] shares)
    {
        var random = new Random(seed);
        var replicaOf = Failed.Select(_ => Pick(random.NextDouble(), shares)).ToArray();
        var labelReplicaOf = Labels.Select(_ => Pick(random.NextDouble(), shares)).ToArray();
        return Enumerable.Range(0, shares.Length).Select(r => new VariantSample(
                replicaOf.Count(x => x == r),
                Failed.Where((_, i) => replicaOf[i] == r && Failed[i]).LongCount(),
                LatenciesMs.Where((_, i) => replicaOf[i] == r).ToArray(),
                Scores.Where((_, i) => replicaOf[i] == r).ToArray(),
                Labels.Where((_, i) => labelReplicaOf[i] == r).ToArray()))
            .ToArray();
    }

    /// <summary>What the leader judges: each replica's summary, added up.</summary>
    public static VariantSample Merged(IEnumerable<VariantSample> parts) =>
        VariantSummary.Sum(parts.Select(p => VariantSummary.Of(p))).ToSample();

    private static int Pick(double u, double[] shares)
    {
        var total = shares.Sum();
        var cumulative = 0.0;
        for (var r = 0; r < shares.Length - 1; r++)
        {
            cumulative += shares[r] / total;
            if (u < cumulative)
            {
                return r;
            }
        }

        return shares.Length - 1;
    }
}
