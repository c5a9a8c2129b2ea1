using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Usher.Core.Routing;
using Usher.Streaming.Hosting;
using Usher.Streaming.Pipeline;
using Usher.Streaming.Telemetry;
using Usher.Streaming.Tests.Fixtures;
using Usher.Testing;

namespace Usher.Streaming.Tests.Pipeline;

/// <summary>
/// A micro-batch's messages stack into one request per version when the model allows batching
/// (<c>fraud</c>: <c>max_batch_size: 64</c>, no <c>dynamic_batching</c>), on the real ONNX Runtime: each
/// message still gets exactly its own answer, a bad message fails alone, and routing stays per message.
/// </summary>
public sealed class StackedScoringTests : IAsyncLifetime
{
    private InProcessModels _models = null!;

    public async Task InitializeAsync()
        => _models = await InProcessModels.OpenAsync(RepoRoot.Combine("samples", "models"), TimeProvider.System, NullLoggerFactory.Instance, CancellationToken.None);

    public async Task DisposeAsync() => await _models.DisposeAsync();

    [Fact]
    public async Task Stacked_EachMessageGetsExactlyTheAnswerItGetsAlone_InFewerBackendRuns()
    {
        var scorer = new RouterScorer(_models.Router);
        var requests = Enumerable.Range(0, 40).Select(i => i % 7 == 3 ? TwoRows(i) : Requests.Fraud(i)).Select(Requests.Bytes).ToList();

        // Alone: no batch open, each request its own backend run.
        var alone = new List<string>();
        foreach (var request in requests)
        {
            alone.Add(Text(await scorer.ScoreAsync("fraud", request, null, CancellationToken.None)));
        }

        var version = _models.Models.Acquire("fraud", 2).Value!;
        try
        {
            version.Batcher.ExecutionTime.Clear();
            var scoring = new Task<StreamScore>[requests.Count];
            using (scorer.OpenBatch(CancellationToken.None))
            {
                for (var i = 0; i < requests.Count; i++)
                {
                    scoring[i] = scorer.ScoreAsync("fraud", requests[i], null, CancellationToken.None).AsTask();
                }
            }

            var stacked = await Task.WhenAll(scoring);

            // Bit for bit: the same JSON, probabilities and ids included.
            Assert.Equal(alone, stacked.Select(Text));

            // 46 rows (34 single, 6 double) fit max_batch_size 64: one run.
            Assert.Equal(1, version.Batcher.ExecutionTime.Samples);
        }
        finally
        {
            version.Release();
        }
    }

    [Fact]
    public async Task PoisonMessagesInsideAMicroBatch_DeadLetterAlone_TheirNeighboursAreAnswered()
    {
        var poison = new Dictionary<string, (string Request, string Reason)>
        {
            ["4"] = ("""{"id":"bad-shape","inputs":[{"name":"features","shape":[1,29],"datatype":"FP32","data":[""" + string.Join(",", Enumerable.Repeat("0.5", 29)) + "]}]}", "invalid"),
            ["9"] = ("""{"id":"bad-type","inputs":[{"name":"features","shape":[1,30],"datatype":"INT32","data":[""" + string.Join(",", Enumerable.Repeat("1", 30)) + "]}]}", "invalid"),
            ["13"] = ("""{"id":"no-model","model_name":"nope","inputs":[{"name":"features","shape":[1,30],"datatype":"FP32","data":[""" + string.Join(",", Enumerable.Repeat("0.5", 30)) + "]}]}", "not_found"),
            ["17"] = ("{not json", "malformed"),
        };
        var messages = Enumerable.Range(0, 24)
            .Select(i => ListSource.Message(i.ToString(System.Globalization.CultureInfo.InvariantCulture), poison.TryGetValue(i.ToString(System.Globalization.CultureInfo.InvariantCulture), out var p) ? p.Request : Requests.Fraud(i)))
            .ToList();
        var scorer = new RouterScorer(_models.Router);
        var expected = new Dictionary<string, string>();
        foreach (var message in messages.Where(m => !poison.ContainsKey(m.Id)))
        {
            expected[message.Id] = Text(await scorer.ScoreAsync("fraud", message.Request!.Value, null, CancellationToken.None));
        }

        var source = new ListSource(messages);
        var sink = new ListSink();
        var deadLetter = new ListSink();
        using var metrics = new StreamMetrics();
        var spec = new StreamSpec { Model = "fraud", Source = "-", Sink = "-", MaxBatch = 64, MaxInFlight = 128, MaxAttempts = 3 };
        await new StreamPipeline(spec, source, sink, deadLetter, scorer, metrics, TimeProvider.System, NullLogger.Instance).RunAsync(CancellationToken.None);

        Assert.Equal(poison.Keys.Order(), deadLetter.Answers.Select(a => a.SourceId).Order());
        Assert.All(deadLetter.Answers, a => Assert.Equal(poison[a.SourceId].Reason, a.Reason));
        Assert.All(deadLetter.Answers, a => Assert.Equal(1, a.Attempts));
        Assert.Equal(expected.Keys.Order(), sink.Answers.Select(a => a.SourceId).Order());
        Assert.All(sink.Answers, a => Assert.Equal(expected[a.SourceId], Encoding.UTF8.GetString(a.Response!.Value.Span)));
        Assert.Equal(messages.Select(m => m.Id).Order(), source.Acknowledged.Order());
    }

    [Fact]
    public async Task Canary_StackedMessagesStillSplitByWeight_StickyByKey_EachVersionStacked()
    {
        const int users = 640;
        _models.Routes.Publish(new RouteTable("fraud", [new RouteVariant("fraud", 1, 80), new RouteVariant("fraud", 2, 20)]));
        var v1 = _models.Models.Acquire("fraud", 1).Value!;
        var v2 = _models.Models.Acquire("fraud", 2).Value!;
        try
        {
            v1.Batcher.ExecutionTime.Clear();
            v2.Batcher.ExecutionTime.Clear();
            var scorer = new RouterScorer(_models.Router);
            var versions = new Dictionary<string, HashSet<long>>();

            // Ten micro-batches of 64 messages (each user's two messages in different batches);
            // the ExecutionTime window counts up to 64 runs, enough for twenty.
            for (var round = 0; round < 2; round++)
            {
                for (var start = 0; start < users; start += 64)
                {
                    var scoring = new List<(string User, Task<StreamScore> Score)>();
                    using (scorer.OpenBatch(CancellationToken.None))
                    {
                        for (var u = start; u < start + 64; u++)
                        {
                            var user = $"user-{u}";
                            scoring.Add((user, scorer.ScoreAsync("fraud", Requests.Bytes(Requests.Fraud(u + (round * users), user)), user, CancellationToken.None).AsTask()));
                        }
                    }

                    foreach (var (user, score) in scoring)
                    {
                        var answer = await score;
                        Assert.Null(answer.Error);
                        (versions.TryGetValue(user, out var set) ? set : versions[user] = []).Add(answer.Version);
                    }
                }
            }

            Assert.Equal(users, versions.Count);
            Assert.All(versions.Values, v => Assert.Single(v));
            var canary = versions.Values.Count(v => v.Contains(2));

            // Binomial(640, 0.2): mean 128, sd sqrt(640 * 0.2 * 0.8) = 10.1; five sd either side.
            Assert.InRange(canary, 128 - 51, 128 + 51);

            // Twenty micro-batches, each split between the two versions: one run per version each.
            Assert.Equal(20, v1.Batcher.ExecutionTime.Samples);
            Assert.Equal(20, v2.Batcher.ExecutionTime.Samples);
        }
        finally
        {
            v1.Release();
            v2.Release();
        }
    }

    private static string TwoRows(int seed)
    {
        using var one = JsonDocument.Parse(Requests.Fraud(seed));
        using var two = JsonDocument.Parse(Requests.Fraud(seed + 1000));
        var data = one.RootElement.GetProperty("inputs")[0].GetProperty("data").EnumerateArray()
            .Concat(two.RootElement.GetProperty("inputs")[0].GetProperty("data").EnumerateArray())
            .Select(e => e.GetRawText());
        return $"{{\"id\":\"m{seed}\",\"inputs\":[{{\"name\":\"features\",\"shape\":[2,30],\"datatype\":\"FP32\",\"data\":[{string.Join(",", data)}]}}]}}";
    }

    private static string Text(StreamScore score)
    {
        Assert.Null(score.Error);
        return Encoding.UTF8.GetString(score.Response.Span);
    }
}
