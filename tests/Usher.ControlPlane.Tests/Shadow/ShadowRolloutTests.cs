using System.Globalization;
using System.Text.Json;
using Usher.Backends.Onnx.Samples;
using Usher.ControlPlane.Api;
using Usher.ControlPlane.Deployments;
using Usher.ControlPlane.Rollouts;
using Usher.ControlPlane.Tests.Rollouts;
using Usher.Core.Inference;
using Usher.Core.Routing;
using Usher.Core.Tensors;
using Usher.Testing;

namespace Usher.ControlPlane.Tests.Shadow;

public sealed class ShadowRolloutTests
{
    private const string ShadowOfVersion2 = """{"endpoint": "fraud", "version": 2, "strategy": "shadow"}""";

    [Fact]
    public async Task MirroredPairs_DisagreeExactlyWhereTheReferenceModelsDo_AndTheClientOnlySeesThePrimary()
    {
        await using var h = await ControllerHarness.StartAsync();
        h.WriteVersion(2, drifted: true);
        var rollout = await h.DeployAsync(ShadowOfVersion2);
        Assert.Equal(RolloutPhase.Shadowing, rollout.Phase);
        Assert.Equal([(1L, 100.0)], h.Table);

        var rows = Rows(300, seed: 11);
        var results = await SendAsync(h, rows);
        await WaitForPairsAsync(h, rows.Count);

        // The independent computation: both versions' weights run by a plain loop over the exact inputs sent.
        var primary = rows.Select(r => ArgMax(ReferenceMlp.Forward(SampleModels.FraudWeights(1), r))).ToArray();
        var shadow = rows.Select(r => ArgMax(ReferenceMlp.Forward(SampleModels.FraudDriftedWeights(2), r))).ToArray();
        var agreed = primary.Zip(shadow).Count(p => p.First == p.Second);
        Assert.InRange(agreed, 1, rows.Count - 1); // the drifted version disagrees on a real share, not none or all

        for (var i = 0; i < rows.Count; i++)
        {
            Assert.True(results[i].Result.IsSuccess);
            Assert.Equal("fraud:1", results[i].Variant);
            Assert.Equal(primary[i], results[i].Result.Value!.Outputs.Single(t => t.Name == "label").AsSpan<long>()[0]);
        }

        var json = Report(await h.Controller.StatusAsync("fraud", CancellationToken.None));
        var agreement = json.GetProperty("agreement");
        Assert.Equal("label", agreement.GetProperty("basis").GetString());
        Assert.Equal(rows.Count, agreement.GetProperty("compared").GetInt64());
        Assert.Equal(agreed, agreement.GetProperty("agreed").GetInt64());
        var rate = agreed / (double)rows.Count;
        Assert.Equal(rate, agreement.GetProperty("rate").GetDouble(), 12);
        Assert.InRange(rate, agreement.GetProperty("ci_low").GetDouble(), agreement.GetProperty("ci_high").GetDouble());
        Assert.Equal(Wilson(agreed, rows.Count).Low, agreement.GetProperty("ci_low").GetDouble(), 9);
        Assert.Equal(Wilson(agreed, rows.Count).High, agreement.GetProperty("ci_high").GetDouble(), 9);

        var expectedConfusion = primary.Zip(shadow).GroupBy(p => (P: p.First.ToString(CultureInfo.InvariantCulture), S: p.Second.ToString(CultureInfo.InvariantCulture)))
            .ToDictionary(g => g.Key, g => (long)g.Count());
        var confusion = json.GetProperty("confusion").EnumerateArray()
            .ToDictionary(c => (P: c.GetProperty("primary").GetString()!, S: c.GetProperty("shadow").GetString()!), c => c.GetProperty("count").GetInt64());
        Assert.Equal(expectedConfusion.OrderBy(k => k.Key).ToList(), confusion.OrderBy(k => k.Key).ToList());

        Assert.Equal(rows.Count, json.GetProperty("mirrored").GetInt64());
        Assert.Equal(0, json.GetProperty("dropped").GetInt64());
        var disagreements = json.GetProperty("disagreements").EnumerateArray().ToList();
        Assert.Equal(Math.Min(20, rows.Count - agreed), disagreements.Count);
        // The last disagreement kept is the last input the references disagree on.
        var last = Enumerable.Range(0, rows.Count).Last(i => primary[i] != shadow[i]);
        var sent = disagreements[^1].GetProperty("inputs")[0].GetProperty("data").EnumerateArray().Select(v => v.GetSingle()).ToArray();
        Assert.Equal(rows[last].Take(sent.Length), sent);

        // Scores: mean and max |p1 - p2| of the fraud probability, computed independently.
        var differences = rows.Select(r => Math.Abs(
            ReferenceMlp.Softmax(ReferenceMlp.Forward(SampleModels.FraudWeights(1), r))[1]
            - ReferenceMlp.Softmax(ReferenceMlp.Forward(SampleModels.FraudDriftedWeights(2), r))[1])).ToArray();
        var scores = json.GetProperty("scores");
        Assert.Equal(differences.Average(), scores.GetProperty("mean_abs_diff").GetDouble(), 4);
        Assert.Equal(differences.Max(), scores.GetProperty("max_abs_diff").GetDouble(), 4);
        Assert.True(scores.GetProperty("psi").GetDouble() > 0);
    }

    [Fact]
    public async Task Gate_PromotesTheShadowToACanary_OnTheNextTickAfterEnoughAgreeingPairs()
    {
        await using var h = await ControllerHarness.StartAsync();
        // Version 2 is version 1's exact file: every answer agrees.
        var path = Path.Combine(h.Repository, "fraud", "2", "model.onnx");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllBytesAsync(path, SampleModels.BuildFraud(1));
        await h.DeployAsync("""
            {"endpoint": "fraud", "version": 2, "strategy": "shadow", "shadow": {"gate": {"min_samples": 50, "min_agreement": 0.99}},
             "canary": {"steps": [10, 100], "interval": "60s"}}
            """);

        await SendAsync(h, Rows(30, seed: 3));
        await WaitForPairsAsync(h, 30);
        await h.AdvanceAndTickAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(RolloutPhase.Shadowing, h.Current.Phase);
        Assert.Contains("30 of 50", Report(await h.Controller.StatusAsync("fraud", CancellationToken.None)).GetProperty("gate").GetProperty("detail").GetString(), StringComparison.Ordinal);

        await SendAsync(h, Rows(30, seed: 4));
        await WaitForPairsAsync(h, 60);
        await h.AdvanceAndTickAsync(TimeSpan.FromSeconds(5));

        var rollout = h.Current;
        Assert.Equal((RolloutPhase.Progressing, RolloutStrategy.Canary, 10), (rollout.Phase, rollout.Spec.Strategy, rollout.CandidateWeight));
        Assert.Equal([(2L, 10.0), (1L, 90.0)], h.Table);
        Assert.Null(h.Router.Mirror!.Find("fraud"));
        var promote = (await h.Controller.HistoryAsync("fraud", 100, CancellationToken.None)).Single(e => e.Kind == "promote");
        Assert.Contains("shadow gate passed", promote.Message, StringComparison.Ordinal);
        Assert.Contains("\"agreed\":60", promote.DataJson, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Gate_KeepsShadowing_WhileAgreementIsBelowTheMinimum()
    {
        await using var h = await ControllerHarness.StartAsync();
        h.WriteVersion(2, drifted: true);
        await h.DeployAsync("""{"endpoint": "fraud", "version": 2, "strategy": "shadow", "shadow": {"gate": {"min_samples": 20, "min_agreement": 0.99}}}""");

        await SendAsync(h, Rows(100, seed: 5));
        await WaitForPairsAsync(h, 100);
        await h.AdvanceAndTickAsync(TimeSpan.FromMinutes(10));

        Assert.Equal(RolloutPhase.Shadowing, h.Current.Phase);
        Assert.Equal([(1L, 100.0)], h.Table);
        var gate = Report(await h.Controller.StatusAsync("fraud", CancellationToken.None)).GetProperty("gate");
        Assert.False(gate.GetProperty("passed").GetBoolean());
    }

    [Fact]
    public async Task Promote_WithoutAGate_StartsTheCanary_AndRollback_StopsMirroringAndUnloads()
    {
        await using var h = await ControllerHarness.StartAsync();
        h.WriteVersion(2);
        await h.DeployAsync(ShadowOfVersion2);
        var promoted = await h.Controller.PromoteAsync("fraud", null, CancellationToken.None);
        Assert.True(promoted.IsSuccess, promoted.Error?.Message);
        Assert.Equal((RolloutPhase.Progressing, 5), (promoted.Value.Phase, promoted.Value.CandidateWeight));
        Assert.Equal([(2L, 5.0), (1L, 95.0)], h.Table);

        await h.Controller.RollbackAsync("fraud", null, CancellationToken.None);
        h.WriteVersion(3);
        await h.DeployAsync("""{"endpoint": "fraud", "version": 3, "strategy": "shadow"}""");
        Assert.Equal([1L, 3L], h.LoadedVersions);

        var rolledBack = await h.Controller.RollbackAsync("fraud", "bad shadow", CancellationToken.None);

        Assert.Equal(RolloutPhase.RolledBack, rolledBack.Value!.Phase);
        Assert.Null(h.Router.Mirror!.Find("fraud"));
        Assert.Equal([1L], h.LoadedVersions);
        var results = await SendAsync(h, Rows(10, seed: 9));
        Assert.All(results, r => Assert.Equal("fraud:1", r.Variant));
        Assert.Equal(default, h.Router.Mirror.Counts("fraud"));
    }

    [Fact]
    public async Task Restart_ResumesMirroring_WithAFreshComparison()
    {
        await using var h = await ControllerHarness.StartAsync();
        h.WriteVersion(2);
        await h.DeployAsync(ShadowOfVersion2);

        await h.RestartControllerAsync();

        Assert.Equal(RolloutPhase.Shadowing, h.Current.Phase);
        Assert.Equal("fraud:2", h.Router.Mirror!.Find("fraud")?.Name);
        await SendAsync(h, Rows(5, seed: 1));
        await WaitForPairsAsync(h, 5);
        Assert.Equal(5, Report(await h.Controller.StatusAsync("fraud", CancellationToken.None)).GetProperty("pairs").GetInt64());
    }

    internal static List<float[]> Rows(int count, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => Enumerable.Range(0, 30).Select(_ => (float)((random.NextDouble() * 4) - 2)).ToArray())];
    }

    private static async Task<List<RoutedInference>> SendAsync(ControllerHarness h, List<float[]> rows)
    {
        var results = new List<RoutedInference>();
        for (var i = 0; i < rows.Count; i++)
        {
            var request = new InferenceRequest { ModelName = "fraud", Inputs = [Tensor.FromSpan<float>("features", DataType.Fp32, [1, 30], rows[i])] };
            results.Add(await h.Router.InferAsync(request, new RouteHints("user-" + i), CancellationToken.None));
        }

        return results;
    }

    // Waits (real time, with a deadline) for the mirror's background worker to compare the pairs sent.
    // The worker runs copies only while the primary is idle, and between two looks at its queue
    // (after running what it could, or finding the next request in flight) it waits one pace on the
    // harness's clock: the wait moves the clock by one pace, which no rollout step or analysis window
    // notices, and only while the worker waits, never while it runs a copy (whose latency, on this
    // clock, the gate judges).
    private static async Task WaitForPairsAsync(ControllerHarness h, long pairs)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (h.Router.Mirror!.Counts("fraud") is var c && c.Mirrored + c.Failed + c.Dropped < pairs)
        {
            Assert.True(DateTime.UtcNow < deadline, $"the shadow compared {c.Mirrored + c.Failed} of {pairs} pairs in 30 s");
            if (c.Waiting)
            {
                h.Time.Advance(ShadowMirror.Pace);
            }

            await Task.Delay(5);
        }
    }

    private static JsonElement Report(Rollout? rollout)
    {
        // The domain keeps the comparison as data; the admin API's shadow object is its DTO.
        Assert.NotNull(rollout?.Shadow);
        return JsonSerializer.SerializeToElement(ShadowReportDto.From(rollout.Shadow), AdminJsonContext.Default.ShadowReportDto);
    }

    private static long ArgMax(double[] values) => values[1] > values[0] ? 1 : 0;

    // Wilson score interval, 95%: (p + z²/2n ± z·sqrt(p(1−p)/n + z²/4n²)) / (1 + z²/n).
    private static (double Low, double High) Wilson(long k, long n)
    {
        const double z = 1.959963984540054;
        var p = k / (double)n;
        var centre = p + (z * z / (2 * n));
        var spread = z * Math.Sqrt((p * (1 - p) / n) + (z * z / (4.0 * n * n)));
        var denominator = 1 + (z * z / n);
        return ((centre - spread) / denominator, (centre + spread) / denominator);
    }
}
