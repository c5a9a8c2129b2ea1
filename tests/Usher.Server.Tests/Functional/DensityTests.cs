using System.Globalization;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Usher.Backends.Onnx.Samples;
using Usher.Core.Repository;
using Usher.Server.Tests.Frontends.Http;
using Usher.Testing;

namespace Usher.Server.Tests.Functional;

/// <summary>
/// Model density on a real server (Kestrel on port 0, ONNX Runtime): a memory budget that holds two
/// versions serves four models, each answering with its own weights, and <c>GET /v2/models</c> shows
/// which versions are loaded and when each was last used.
/// </summary>
public sealed class DensityTests : IAsyncDisposable
{
    private const int Models = 4;
    private readonly TempDirectory _repo = new();
    private UsherApp? _app;

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }

        _repo.Dispose();
    }

    private static float[] Row(int seed) => [.. Enumerable.Range(0, SampleModels.FraudFeatures).Select(i => (float)Math.Sin(seed + i))];

    [Fact]
    public async Task ABudgetOfTwoModels_ServesFourModelsCorrectly_AndListsLoadedAndLastUse()
    {
        long fileBytes = 0;
        for (var m = 0; m < Models; m++)
        {
            var path = _repo.Combine($"fraud{m}", "1", "model.onnx");
            await File.WriteAllBytesAsync(path, SampleModels.BuildFraud(m + 1));
            fileBytes = new FileInfo(path).Length;
        }

        // Each version is estimated at file x 2 (the default factor), and each load measured at as much: room for two, not three.
        var budget = (fileBytes * 2 * 2) + fileBytes;
        var memory = new SteppingMemory(2 * fileBytes);
        _app = await UsherApp.StartAsync(
            _repo.Path,
            kestrel: true,
            server: s => s.MemoryBudget = budget.ToString(CultureInfo.InvariantCulture),
            configure: b => b.Services.AddSingleton<IProcessMemory>(memory));
        Assert.True((await HttpAssert.OkJsonAsync(await _app.Client.GetAsync("/v2/health/ready"))).GetProperty("ready").GetBoolean());
        Assert.All(_app.Models.Models, m => Assert.Null(m.Versions[0].Loaded));

        // Twice round the four models: every request after the second loads its model and evicts another.
        for (var round = 0; round < 2; round++)
        {
            for (var m = 0; m < Models; m++)
            {
                var row = Row((round * Models) + m);
                var body = new { inputs = new[] { new { name = "features", shape = new[] { 1, SampleModels.FraudFeatures }, datatype = "FP32", data = row } } };
                var json = await HttpAssert.OkJsonAsync(await _app.Client.PostAsJsonAsync($"/v2/models/fraud{m}/infer", body));
                var probability = json.GetProperty("outputs").EnumerateArray().Single(o => o.GetProperty("name").GetString() == "probabilities").GetProperty("data")[1].GetDouble();
                var expected = ReferenceMlp.Softmax(ReferenceMlp.Forward(SampleModels.FraudWeights(m + 1), row))[1];
                Assert.Equal(expected, probability, 5);
                Assert.True(_app.Models.Models.Sum(e => e.Versions.Count(v => v.Loaded is not null)) <= 2);
            }
        }

        var list = await HttpAssert.OkJsonAsync(await _app.Client.GetAsync("/v2/models"));
        var versions = list.GetProperty("models").EnumerateArray()
            .ToDictionary(e => e.GetProperty("name").GetString()!, e => e.GetProperty("versions")[0]);
        Assert.Equal(Enumerable.Range(0, Models).Select(m => $"fraud{m}"), versions.Keys.Order());
        Assert.Equal(["fraud2", "fraud3"], versions.Where(v => v.Value.GetProperty("loaded").GetBoolean()).Select(v => v.Key).Order());
        Assert.All(versions.Values, v => Assert.True(v.TryGetProperty("last_use", out _)));
        var lastUse = versions.ToDictionary(v => v.Key, v => v.Value.GetProperty("last_use").GetDateTimeOffset());
        Assert.True(lastUse["fraud0"] <= lastUse["fraud1"] && lastUse["fraud1"] <= lastUse["fraud2"] && lastUse["fraud2"] <= lastUse["fraud3"]);
        Assert.Equal("UNAVAILABLE", versions["fraud0"].GetProperty("state").GetString());
        Assert.Contains("memory budget", versions["fraud0"].GetProperty("reason").GetString(), StringComparison.Ordinal);

        var index = await HttpAssert.OkJsonAsync(await _app.Client.PostAsync("/v2/repository/index", null));
        Assert.Equal(2, index.EnumerateArray().Count(r => r.GetProperty("loaded").GetBoolean()));

        var metrics = await _app.Client.GetStringAsync("/metrics");
        var loads = metrics.Split('\n').Single(l => l.StartsWith("usher_model_load_duration_seconds_count{", StringComparison.Ordinal) && l.Contains("model=\"fraud0\"", StringComparison.Ordinal));
        Assert.EndsWith(" 2", loads, StringComparison.Ordinal); // loaded in each round
        Assert.Contains("usher_model_evictions_total", metrics, StringComparison.Ordinal);
        // Each of the 8 loads trims before and after, each of the 6 evictions once more; the budget also reads the RSS (a trim first) at readiness, before each of the 8 admissions and again after each of the 6 evictions.
        Assert.Equal((8 * 2) + 6 + 1 + 8 + 6, memory.Trims);
        Assert.All(_app.Models.Models.SelectMany(m => m.Versions).Where(v => v.Loaded is not null), v => Assert.True(v.Source!.Measured));
    }
}
