using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Usher.Backends.Onnx;
using Usher.Backends.Onnx.Format;
using Usher.Core.Repository;
using Usher.Core.Telemetry;
using Usher.Core.Tensors;
using Usher.Server.Tests.Access;
using Usher.Server.Tests.Frontends.Http;
using Usher.Testing;
using Usher.Testing.Models;

namespace Usher.Server.Tests.Functional;

/// <summary>
/// Faults in the serving path, on the real server with real ONNX Runtime (docs/reliability.md's fault
/// table lists these with the other fault tests).
/// </summary>
public sealed class FaultTests
{
    /// <summary>
    /// <c>lookup</c>: input <c>index</c> INT64 [-1,1], output <c>value</c> FP32 [-1,1] = table[index]
    /// (Gather over a 4-element table). An index outside 0..3 makes ONNX Runtime's Run throw; with batching,
    /// that fails the whole batch the index travels in.
    /// </summary>
    private static void WriteLookupModel(string modelDirectory)
    {
        var builder = new OnnxModelBuilder("lookup")
            .AddInput("index", DataType.Int64, [-1, 1], ["batch", null])
            .AddOutput("value", DataType.Fp32, [-1, 1], ["batch", null])
            .AddInitializer("table", [4], [10f, 20f, 30f, 40f])
            .AddNode("Gather", ["table", "index"], ["value"], OnnxAttribute.Int("axis", 0));
        Directory.CreateDirectory(Path.Combine(modelDirectory, "1"));
        builder.Save(Path.Combine(modelDirectory, "1", OnnxBackend.DefaultModelFileName));

        // Delay mode with a long delay: a batch leaves only when it is full, so two requests sent together
        // are one batch, whatever the machine's speed.
        File.WriteAllText(Path.Combine(modelDirectory, "config.yaml"), """
            max_batch_size: 2
            dynamic_batching: { max_batch_size: 2, max_queue_delay_microseconds: 60000000 }
            """);
    }

    private static Task<HttpResponseMessage> Lookup(HttpClient client, long index)
        => client.PostAsync("/v2/models/lookup/infer", JsonContent.Create(new
        {
            inputs = new[] { new { name = "index", datatype = "INT64", shape = new[] { 1, 1 }, data = new[] { index } } },
        }));

    private static async Task<float> ValueOf(HttpResponseMessage response)
    {
        var json = await HttpAssert.OkJsonAsync(response);
        return json.GetProperty("outputs")[0].GetProperty("data")[0].GetSingle();
    }

    [Fact]
    public async Task OnnxRuntimeError_InOneBatch_FailsOnlyThatBatchsRequestsWith500_AndTheNextBatchesSucceed()
    {
        using var repo = new TempDirectory();
        WriteLookupModel(repo.Combine("lookup"));
        await using var app = await UsherApp.StartAsync(repo.Path);

        // One batch: a good index and one that ONNX Runtime refuses in Run.
        var sharing = await Task.WhenAll(Lookup(app.Client, 1), Lookup(app.Client, 99));

        foreach (var response in sharing)
        {
            var message = await HttpAssert.ErrorAsync(response, HttpStatusCode.InternalServerError);
            Assert.Contains("99", message, StringComparison.Ordinal); // ONNX Runtime's own words: the index out of bounds
        }

        // The version is not left broken: the next batches run and answer table[index].
        var next = await Task.WhenAll(Lookup(app.Client, 0), Lookup(app.Client, 3));
        Assert.Equal(10f, await ValueOf(next[0]));
        Assert.Equal(40f, await ValueOf(next[1]));
        var again = await Task.WhenAll(Lookup(app.Client, 2), Lookup(app.Client, 1));
        Assert.Equal(30f, await ValueOf(again[0]));
        Assert.Equal(20f, await ValueOf(again[1]));
        Assert.Equal(ModelState.Ready, app.Models.Find("lookup")!.Versions[0].State);
    }

    [Fact]
    public async Task CorruptModelDroppedIntoAPolledRepository_LeavesTheOldVersionServing_AndIsReportedInTheIndexTheReadyCheckAndTheLog()
    {
        using var repo = new TempDirectory();
        SampleRepository.CopySample(repo.Path, "fraud");
        var time = new FakeTimeProvider();
        var log = new ListLogger();
        await using var app = await UsherApp.StartAsync(repo.Path, repo: r => r.PollSeconds = 30, configure: b =>
        {
            b.Services.AddSingleton<TimeProvider>(time);
            b.Logging.AddProvider(log);
        });

        TestModels.WriteBroken(repo.Combine("fraud", "3"));
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (app.Models.Find("fraud")!.Versions.FirstOrDefault(v => v.Version == 3)?.State is not ModelState.Unavailable)
        {
            Assert.True(DateTime.UtcNow < deadline, "the poller did not try the new version");
            time.Advance(TimeSpan.FromSeconds(30));
            await Task.Delay(20);
        }

        // Still served: the endpoint answers from the last good version.
        var infer = await app.Client.PostAsync("/v2/models/fraud/infer", JsonContent.Create(new
        {
            inputs = new[] { new { name = "features", datatype = "FP32", shape = new[] { 1, 30 }, data = new float[30] } },
        }));
        var answer = await HttpAssert.OkJsonAsync(infer);
        Assert.Equal("2", answer.GetProperty("model_version").GetString());

        // Reported: the repository index names the version and why, its ready check says no, and the log has it.
        var index = await HttpAssert.OkJsonAsync(await app.Client.PostAsync("/v2/repository/index", JsonContent.Create(new { })));
        var entry = index.EnumerateArray().Single(e => e.GetProperty("name").GetString() == "fraud" && e.GetProperty("version").GetString() == "3");
        Assert.Equal("UNAVAILABLE", entry.GetProperty("state").GetString());
        Assert.Contains("model.onnx", entry.GetProperty("reason").GetString(), StringComparison.Ordinal);
        await HttpAssert.ErrorAsync(await app.Client.GetAsync("/v2/models/fraud/versions/3/ready"), HttpStatusCode.ServiceUnavailable);
        var logged = Assert.Single(log.Entries, e => e.EventId == LogEvents.VersionLoadFailed);
        Assert.Contains("'fraud' version 3", logged.Message, StringComparison.Ordinal);
    }
}
