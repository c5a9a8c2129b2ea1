using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.Configuration;
using Usher.Backends.Onnx.Samples;
using Usher.Server.Protos;
using Usher.Server.Tests.Admin;
using Usher.Server.Tests.Telemetry.Otlp;
using Usher.Testing;

namespace Usher.Server.Tests.Telemetry;

/// <summary>
/// Traces end to end: a server on Kestrel exports over OTLP/HTTP to an in-test receiver; REST and
/// gRPC requests carry a client's W3C <c>traceparent</c>; the spans, their parents and the batch's
/// links are checked as the receiver decoded them.
/// </summary>
[Collection(TracingCollection.Name)]
public sealed class TracingTests
{
    // Three requests fill the preferred batch at once; a lone one waits out the queue delay.
    private const string Config = """
        max_batch_size: 64
        version_policy: { all: {} }
        dynamic_batching:
          preferred_batch_size: [3]
          max_queue_delay_microseconds: 2000000
        cache: { enabled: true, max_bytes: 1048576 }
        """;

    [Fact]
    public async Task RestAndGrpcRequests_ExportTheirSpans_UnderTheClientsTraceparent_WithBatchLinksCacheAndShadow()
    {
        await using var receiver = await OtlpReceiver.StartAsync();
        using var repo = new TempDirectory();
        File.WriteAllText(repo.Combine("fraud", "config.yaml"), Config);
        WriteVersion(repo, 1);

        var clients = Enumerable.Range(0, 5).Select(_ => (Trace: ActivityTraceId.CreateRandom().ToHexString(), Span: ActivitySpanId.CreateRandom().ToHexString())).ToArray();
        var app = await UsherApp.StartAsync(repo.Path, kestrel: true, configure: b => b.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.Endpoint,
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
        }));
        try
        {
            // Version 2 shadows version 1: every answered request is copied to it.
            WriteVersion(repo, 2);
            using (var load = await app.Client.PostAsync(new Uri("/v2/repository/models/fraud/load", UriKind.Relative), null))
            {
                Assert.Equal(HttpStatusCode.OK, load.StatusCode);
            }

            using (var deploy = await app.Client.PostAsJsonAsync("/admin/deployments", new { endpoint = "fraud", version = 2, strategy = "shadow", shadow = new { percent = 100, queue = 100 } }))
            {
                Assert.True(deploy.StatusCode == HttpStatusCode.Created, await deploy.Content.ReadAsStringAsync());
            }

            // Three REST requests at once (one batch), then the first one's input again (a cache hit).
            var batch = await Task.WhenAll(Enumerable.Range(0, 3).Select(i => RestAsync(app.Client, clients[i], row: i, id: $"rest-{i}")));
            Assert.All(batch, status => Assert.Equal(HttpStatusCode.OK, status));
            Assert.Equal(HttpStatusCode.OK, await RestAsync(app.Client, clients[3], row: 0, id: "rest-3"));

            var grpc = new ModelInferRequest { ModelName = "fraud", Id = "grpc-4" };
            grpc.Inputs.Add(new ModelInferRequest.Types.InferInputTensor { Name = "features", Datatype = "FP32", Shape = { 1, SampleModels.FraudFeatures } });
            grpc.RawInputContents.Add(ByteString.CopyFrom(MemoryMarshalBytes(RolloutHarness.Row(4))));
            var answer = await app.Grpc.ModelInferAsync(grpc, new Metadata { { "traceparent", Traceparent(clients[4]) } });
            Assert.Equal("1", answer.ModelVersion);

            await WaitForShadowPairsAsync(app.Client, 5);
        }
        finally
        {
            // Stopping the server flushes its exporter.
            await app.DisposeAsync();
        }

        var spans = await receiver.WaitForAsync(s => clients.All(c => s.Any(x => x.TraceId == c.Trace && x.Name == "usher.shadow")), TimeSpan.FromSeconds(30));
        string Dump() => string.Join('\n', spans.Where(s => clients.Any(c => c.Trace == s.TraceId)).Select(s => $"{s.TraceId[..8]} {s.Name} {s.SpanId} <- {s.ParentSpanId} links {s.Links.Count}"));

        var infers = new ReceivedSpan[5];
        for (var i = 0; i < 5; i++)
        {
            var trace = spans.Where(s => s.TraceId == clients[i].Trace).ToList();

            // The server span (ASP.NET Core's) is the child of the client's span; Usher's request span is its child.
            var server = Assert.Single(trace, s => s.Kind == Span.Types.SpanKind.Server);
            Assert.Equal(clients[i].Span, server.ParentSpanId);
            Assert.Contains(i == 4 ? "ModelInfer" : "infer", server.Name, StringComparison.Ordinal);
            var infer = Assert.Single(trace, s => s.Name == "usher.infer" && s.ParentSpanId == server.SpanId);
            Assert.Equal(("Usher", "fraud", "fraud:1"), (infer.Scope, (string)infer.Attributes["usher.endpoint"], (string)infer.Attributes["usher.variant"]));
            Assert.Equal(i == 4 ? "grpc-4" : $"rest-{i}", infer.Attributes["usher.request_id"]);
            infers[i] = infer;

            var lookup = Assert.Single(trace, s => s.Name == "usher.cache_lookup" && s.ParentSpanId == infer.SpanId);
            Assert.Equal(i == 3, lookup.Attributes["usher.cache.hit"]);

            var queue = trace.Where(s => s.Name == "usher.queue" && s.ParentSpanId == infer.SpanId).ToList();
            var compute = trace.Where(s => s.Name == "usher.compute" && s.ParentSpanId == infer.SpanId).ToList();
            if (i == 3)
            {
                // A cache hit never queues or computes.
                Assert.Equal((0, 0), (queue.Count, compute.Count));
                Assert.True((bool)infer.Attributes["usher.cache.hit"]);
            }
            else
            {
                Assert.Single(queue);
                var run = Assert.Single(compute);
                Assert.True(queue[0].EndNanos <= run.StartNanos + 1_000, Dump());
                var link = Assert.Single(run.Links);
                var batchSpan = Assert.Single(spans, s => s.Name == "usher.batch" && s.SpanId == link.SpanId);
                Assert.Contains((infer.TraceId, infer.SpanId), batchSpan.Links);
            }

            // The shadow's copy runs in the request's trace, as a child of its request span.
            var shadow = Assert.Single(trace, s => s.Name == "usher.shadow");
            Assert.Equal((infer.SpanId, "fraud:2"), (shadow.ParentSpanId, (string)shadow.Attributes["usher.variant"]));
            Assert.Contains(trace, s => s.Name == "usher.cache_lookup" && s.ParentSpanId == shadow.SpanId);
        }

        // The three concurrent requests ran as one batch: one span, child of the first of them, linked to all three.
        var theBatch = Assert.Single(spans, s => s.Name == "usher.batch" && s.Links.Contains((infers[0].TraceId, infers[0].SpanId)) && s.Links.Count > 1);
        Assert.Equal(
            infers.Take(3).Select(s => (s.TraceId, s.SpanId)).Order(),
            theBatch.Links.Order());
        Assert.Equal(3L, theBatch.Attributes["usher.batch.size"]);
        Assert.Equal(theBatch.Links[0], (theBatch.TraceId, theBatch.ParentSpanId));

        // The lone gRPC request ran alone.
        var grpcBatch = Assert.Single(spans, s => s.Name == "usher.batch" && s.Links.Contains((infers[4].TraceId, infers[4].SpanId)) && s.TraceId == infers[4].TraceId && s.ParentSpanId == infers[4].SpanId);
        Assert.Equal(1L, grpcBatch.Attributes["usher.batch.size"]);
    }

    [Fact]
    public void WithoutOtlpSettings_TracingIsOff()
    {
        var none = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["OTEL_SERVICE_NAME"] = "x" }).Build();
        var set = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] = "http://collector:4318/v1/traces" }).Build();
        var disabled = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://collector:4318", ["OTEL_SDK_DISABLED"] = "true" }).Build();

        Assert.False(Server.Telemetry.TracingRegistration.IsConfigured(none));
        Assert.True(Server.Telemetry.TracingRegistration.IsConfigured(set));
        Assert.False(Server.Telemetry.TracingRegistration.IsConfigured(disabled));
    }

    private static string Traceparent((string Trace, string Span) client) => $"00-{client.Trace}-{client.Span}-01";

    private static async Task<HttpStatusCode> RestAsync(HttpClient client, (string Trace, string Span) caller, int row, string id)
    {
        var body = JsonSerializer.Serialize(new
        {
            id,
            inputs = new[] { new { name = "features", shape = new[] { 1, SampleModels.FraudFeatures }, datatype = "FP32", data = RolloutHarness.Row(row) } },
        });
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v2/models/fraud/infer") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("traceparent", Traceparent(caller));
        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }

    private static byte[] MemoryMarshalBytes(float[] values)
    {
        var bytes = new byte[values.Length * 4];
        Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
        return bytes;
    }

    private static void WriteVersion(TempDirectory repo, int version)
    {
        var folder = Directory.CreateDirectory(repo.Combine("fraud", version.ToString(CultureInfo.InvariantCulture)));
        File.WriteAllBytes(Path.Combine(folder.FullName, "model.onnx"), SampleModels.BuildFraud(version));
    }

    private static async Task WaitForShadowPairsAsync(HttpClient client, int pairs)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            using var document = JsonDocument.Parse(await client.GetStringAsync(new Uri("/admin/endpoints/fraud/rollout", UriKind.Relative)));
            var seen = document.RootElement.GetProperty("shadow").GetProperty("pairs").GetInt32();
            if (seen >= pairs)
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"the shadow compared {seen} of {pairs} requests");
            await Task.Delay(20);
        }
    }
}
