using Microsoft.Extensions.Time.Testing;
using Usher.ControlPlane.Analysis;
using Usher.ControlPlane.Rollouts;
using Usher.ControlPlane.Rollouts.Strategies;
using Xunit.Abstractions;

namespace Usher.ControlPlane.Tests.Rollouts;

/// <summary>
/// Seeded simulations of canary rollouts on fake time, looked at on every 1 s tick with the
/// controller's own rule (<see cref="CanaryStrategy.RollsBack"/> over <see cref="CanaryAnalysis"/>):
/// steps 10% and 50% of 30 s each (then 100% is the promotion), 50 requests a second, default
/// analysis settings (α = 0.01, 100 requests and predictions per variant). Small windows keep the
/// 200 simulated rollouts (10,000 looks) quick.
/// </summary>
public sealed class SequentialCanarySimulationTests(ITestOutputHelper output)
{
    private static readonly int[] Steps = [10, 50];
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan InconclusiveAfter = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan Tick = TimeSpan.FromSeconds(1);
    private static readonly AnalysisSettings Settings = new();
    private static readonly RolloutOptions Options = new();
    private const int RequestsPerTick = 50;
    private const double BaseErrorRate = 0.002;

    [Fact]
    public void HealthyCanaries_LookedAtEveryTick_RarelyRollBack()
    {
        const int canaries = 200;
        var rolledBack = new List<string>();
        var promoted = 0;
        for (var seed = 0; seed < canaries; seed++)
        {
            var run = Simulate(new Random(1000 + seed), Candidate.Healthy);
            if (run.RolledBackAt is not null)
            {
                rolledBack.Add($"seed {seed}: {run.Reason}");
            }
            else if (run.Promoted)
            {
                promoted++;
            }
        }

        output.WriteLine($"healthy: {canaries} canaries, {promoted} promoted, {rolledBack.Count} false rollbacks ({rolledBack.Count * 100.0 / canaries:0.##}%)");
        rolledBack.ForEach(output.WriteLine);
        Assert.True(rolledBack.Count <= canaries / 100, $"{rolledBack.Count} false rollbacks of {canaries}: {string.Join(" | ", rolledBack)}");
        Assert.Equal(canaries - rolledBack.Count, promoted);
    }

    [Theory]
    [InlineData(Candidate.Drifted, "prediction_drift")]
    [InlineData(Candidate.Erroring, "error_rate")]
    public void BadCanaries_RollBackWithinTwoSecondsOfTheMinimumSample(Candidate candidate, string check)
    {
        const int runs = 20;
        var delays = new List<double>();
        var psi = new List<double>();
        var at = new List<double>();
        var requests = new List<long>();
        for (var seed = 0; seed < runs; seed++)
        {
            var run = Simulate(new Random(5000 + seed), candidate);

            Assert.True(run.RolledBackAt is not null, $"seed {seed}: not rolled back");
            Assert.Contains(check, run.Reason, StringComparison.Ordinal);
            Assert.True(run.MinimumSampleAt is not null || run.RolledBackAt <= Interval, $"seed {seed}: rolled back before reaching the minimum sample is fine, never after the step");
            var delay = (run.RolledBackAt!.Value - (run.MinimumSampleAt ?? run.RolledBackAt.Value)).TotalSeconds;
            delays.Add(delay);
            at.Add(run.RolledBackAt.Value.TotalSeconds);
            requests.Add(run.CanaryRequests);
            if (run.Psi is { } value)
            {
                psi.Add(value);
            }
        }

        output.WriteLine($"{candidate}: {runs} runs, all rolled back on {check}; seconds from the minimum sample to the rollback: " +
            $"max {delays.Max():0.#}, mean {delays.Average():0.##} (0 also when it came before the minimum); rolled back {at.Min():0}-{at.Max():0} s after the deploy, " +
            $"with {requests.Min()}-{requests.Max()} canary requests" +
            (psi.Count > 0 ? $"; PSI at the rollback: min {psi.Min():0.##}" : ""));
        Assert.All(delays, d => Assert.True(d <= 2, $"rolled back {d} s after the minimum sample"));
        if (candidate == Candidate.Drifted)
        {
            Assert.All(psi, p => Assert.True(p > 1, $"PSI {p}"));
        }
    }

    public enum Candidate
    {
        Healthy,
        Drifted,
        Erroring,
    }

    private sealed record Run(bool Promoted, TimeSpan? RolledBackAt, TimeSpan? MinimumSampleAt, string Reason, double? Psi, long CanaryRequests = 0);

    private static Run Simulate(Random random, Candidate candidate)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 3, 0, 0, 0, TimeSpan.Zero));
        var start = time.GetUtcNow();
        TimeSpan? minimumAt = null;
        foreach (var weight in Steps)
        {
            var stepStart = time.GetUtcNow();
            var stable = new Side();
            var canary = new Side();
            while (true)
            {
                time.Advance(Tick);
                for (var i = 0; i < RequestsPerTick; i++)
                {
                    var toCanary = random.NextDouble() * 100 < weight;
                    (toCanary ? canary : stable).Serve(random, toCanary ? candidate : Candidate.Healthy);
                }

                var now = time.GetUtcNow();
                var final = now >= stepStart + Interval;
                var minimum = candidate == Candidate.Drifted ? canary.Scores.Count >= Settings.MinPredictions : canary.Requests >= Settings.MinRequests;
                if (minimum && minimumAt is null)
                {
                    minimumAt = now - start;
                }

                var report = CanaryAnalysis.Compare(stable.Sample(), canary.Sample(), Settings, final);
                var analysis = new WindowAnalysis(stepStart, new VariantCounts(stable.Requests, stable.Errors), new VariantCounts(canary.Requests, canary.Errors), report);
                if (CanaryStrategy.RollsBack(analysis, final, Options))
                {
                    var drift = report.Checks.Single(c => c.Name == "prediction_drift").Statistics;
                    return new Run(false, now - start, minimumAt, CanaryStrategy.FailedChecks(report), drift.TryGetValue("psi", out var psi) ? psi : null, canary.Requests);
                }

                // As the controller does: at the step's end a pass takes the next step, a lack of data waits.
                if (final && report.Verdict == AnalysisVerdict.Pass)
                {
                    break;
                }

                if (now >= stepStart + Interval + InconclusiveAfter)
                {
                    return new Run(false, null, minimumAt, "inconclusive: " + report.Summary, null);
                }
            }
        }

        return new Run(true, null, minimumAt, "promoted", null);
    }

    // One variant's window: errors, log-normal latencies around 5 ms, one score per answer.
    private sealed class Side
    {
        public long Requests { get; private set; }

        public long Errors { get; private set; }

        public List<double> Latencies { get; } = [];

        public List<double> Scores { get; } = [];

        public void Serve(Random random, Candidate kind)
        {
            Requests++;
            Latencies.Add(5 * Math.Exp(0.3 * Gaussian(random)));
            if (random.NextDouble() < (kind == Candidate.Erroring ? 0.30 : BaseErrorRate))
            {
                Errors++;
                return;
            }

            var u = random.NextDouble();
            // Drifted: uniform on [0.6, 1] against u² (PSI about 6).
            Scores.Add(kind == Candidate.Drifted ? 0.6 + (0.4 * u) : u * u);
        }

        public VariantSample Sample() => new(Requests, Errors, Latencies, Scores, []);

        private static double Gaussian(Random random)
            => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
    }
}
