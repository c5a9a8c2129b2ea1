using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Grpc.Core;

namespace Usher.Gateway.Tests.Functional;

/// <summary>
/// The choice through the real gateway (YARP on Kestrel) to real replicas, with real clients: which
/// replica answers is read from the answer's model_version (replica A serves version 1, B version 2).
/// </summary>
public sealed class GatewayRoutingTests(TwoReplicas replicas) : IClassFixture<TwoReplicas>
{
    private const int Requests = 20;

    [Fact]
    public async Task Rest_VersionLoadedOnOneReplicaOnly_IsAlwaysAnsweredByThatReplica()
    {
        var (uri, rows) = await TwoReplicas.StateAsync();
        await using var _ = rows;
        await rows.UpsertAsync(new ReplicaRow("a", replicas.A.HttpAddress, replicas.A.GrpcAddress, "eu", [("fraud", 1, true)]));
        await rows.UpsertAsync(new ReplicaRow("b", replicas.B.HttpAddress, replicas.B.GrpcAddress, "us", [("fraud", 2, true)]));
        await using var gateway = await GatewayHost.StartAsync(uri);

        Assert.Equal(["1"], await VersionsAsync(gateway, "/v2/models/fraud/versions/1/infer"));
        Assert.Equal(["2"], await VersionsAsync(gateway, "/v2/models/fraud/versions/2/infer"));

        // Unpinned, both fit: both answer (with no region preference).
        Assert.Equal(["1", "2"], await VersionsAsync(gateway, "/v2/models/fraud/infer", count: 40));
    }

    [Fact]
    public async Task Rest_HardwareHeader_GoesToTheReplicaWithThatLabel()
    {
        var (uri, rows) = await TwoReplicas.StateAsync();
        await using var _ = rows;
        await rows.UpsertAsync(new ReplicaRow("a", replicas.A.HttpAddress, null, "eu", [("fraud", 1, true)]) { Labels = new Dictionary<string, string> { ["hw"] = "cpu" } });
        await rows.UpsertAsync(new ReplicaRow("b", replicas.B.HttpAddress, null, "eu", [("fraud", 2, true)]) { Labels = new Dictionary<string, string> { ["hw"] = "gpu" } });
        await using var gateway = await GatewayHost.StartAsync(uri);

        Assert.Equal(["2"], await VersionsAsync(gateway, "/v2/models/fraud/infer", headers: ("x-usher-hardware", "gpu")));
        Assert.Equal(["1"], await VersionsAsync(gateway, "/v2/models/fraud/infer", headers: ("x-usher-hardware", "cpu")));
    }

    [Fact]
    public async Task Rest_Region_PrefersTheCallersThenTheGateways_AndFailsOverWhenHomeIsSaturated()
    {
        var (uri, rows) = await TwoReplicas.StateAsync();
        await using var _ = rows;
        await rows.UpsertAsync(new ReplicaRow("a", replicas.A.HttpAddress, null, "eu", [("fraud", 1, true)]));
        await rows.UpsertAsync(new ReplicaRow("b", replicas.B.HttpAddress, null, "us", [("fraud", 2, true)]));
        await using var gateway = await GatewayHost.StartAsync(uri, o => o with { Region = "eu" });

        Assert.Equal(["1"], await VersionsAsync(gateway, "/v2/models/fraud/infer"));
        Assert.Equal(["2"], await VersionsAsync(gateway, "/v2/models/fraud/infer", headers: ("x-usher-region", "us")));
        Assert.Equal(0, await gateway.CounterAsync("usher_gateway_failovers_total"));

        // Region eu's only replica reports a full queue: eu's requests go to us, counted as failovers.
        await rows.UpsertAsync(new ReplicaRow("a", replicas.A.HttpAddress, null, "eu", [("fraud", 1, true)]) { QueueDepth = 4, Capacity = 4 });
        await gateway.RefreshAsync();
        Assert.Equal(["2"], await VersionsAsync(gateway, "/v2/models/fraud/infer"));
        Assert.Equal(Requests, await gateway.CounterAsync("usher_gateway_failovers_total", ("from", "eu"), ("to", "us")));
    }

    [Fact]
    public async Task NothingFits_503WithAJsonErrorNamingTheModelAndWhy_OverRestAndGrpc()
    {
        var (uri, rows) = await TwoReplicas.StateAsync();
        await using var _ = rows;
        await rows.UpsertAsync(new ReplicaRow("a", replicas.A.HttpAddress, replicas.A.GrpcAddress, "eu", [("fraud", 1, false)]));
        await rows.UpsertAsync(new ReplicaRow("b", replicas.B.HttpAddress, replicas.B.GrpcAddress, "us", [("fraud", 2, true)]));
        await using var gateway = await GatewayHost.StartAsync(uri);

        await AssertUnavailableAsync(gateway, "/v2/models/nope/infer", "model 'nope' is not loaded on any of the 2 replica(s) up");
        await AssertUnavailableAsync(gateway, "/v2/models/fraud/versions/1/infer", "model 'fraud' version 1 is loaded on 1 replica(s) but ready on none");
        await AssertUnavailableAsync(gateway, "/v2/models/fraud/versions/7/infer", "model 'fraud' version 7 is not loaded on any of the 2 replica(s) up");

        var failure = await Assert.ThrowsAsync<RpcException>(() => gateway.Grpc.ModelInferAsync(FraudRequests.Grpc("nope")).ResponseAsync);
        Assert.Equal(StatusCode.Unavailable, failure.StatusCode);
        Assert.Equal("model 'nope' is not loaded on any of the 2 replica(s) up", failure.Status.Detail);
        Assert.Equal(3, await gateway.CounterAsync("usher_gateway_unroutable_total", ("reason", "NotLoaded")));
    }

    [Fact]
    public async Task Grpc_TwoCallsOnOneChannel_AreBalancedPerCall_AndPinnedVersionsHonoured()
    {
        var (uri, rows) = await TwoReplicas.StateAsync();
        await using var _ = rows;
        await rows.UpsertAsync(new ReplicaRow("a", replicas.A.HttpAddress, replicas.A.GrpcAddress, "eu", [("fraud", 1, true)]));
        await rows.UpsertAsync(new ReplicaRow("b", replicas.B.HttpAddress, replicas.B.GrpcAddress, "us", [("fraud", 2, true)]));
        await using var gateway = await GatewayHost.StartAsync(uri);

        // One channel (one HTTP/2 connection to the gateway): the calls land on both replicas.
        var versions = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < 40; i++)
        {
            var response = await gateway.Grpc.ModelInferAsync(FraudRequests.Grpc());
            versions.Add(response.ModelVersion);
        }

        Assert.Equal(["1", "2"], versions.Order(StringComparer.Ordinal));
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal("2", (await gateway.Grpc.ModelInferAsync(FraudRequests.Grpc(version: "2"))).ModelVersion);
        }
    }

    [Fact]
    public async Task Rest_BinaryTensorExtension_PassesThrough_AnsweringAsTheReplicaDoesToJson()
    {
        var (uri, rows) = await TwoReplicas.StateAsync();
        await using var _ = rows;
        await rows.UpsertAsync(new ReplicaRow("a", replicas.A.HttpAddress, null, "eu", [("fraud", 1, true)]));
        await rows.UpsertAsync(new ReplicaRow("b", replicas.B.HttpAddress, null, "us", [("fraud", 2, true)]));
        await using var gateway = await GatewayHost.StartAsync(uri);

        // The same 30 floats as FraudRequests.Json, as a binary tensor after a JSON header.
        var features = Enumerable.Range(0, 30).Select(i => 0.01f * i).ToArray();
        var header = System.Text.Encoding.UTF8.GetBytes(
            """{"inputs":[{"name":"features","datatype":"FP32","shape":[1,30],"parameters":{"binary_data_size":120}}]}""");
        var body = new byte[header.Length + (features.Length * sizeof(float))];
        header.CopyTo(body, 0);
        System.Runtime.InteropServices.MemoryMarshal.AsBytes(features.AsSpan()).CopyTo(body.AsSpan(header.Length));
        using var binary = new HttpRequestMessage(HttpMethod.Post, "/v2/models/fraud/versions/1/infer") { Content = new ByteArrayContent(body) };
        binary.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/octet-stream");
        binary.Headers.Add("Inference-Header-Content-Length", header.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var throughGateway = await gateway.Client.SendAsync(binary);
        var answer = await throughGateway.Content.ReadAsStringAsync();
        Assert.True(throughGateway.StatusCode == HttpStatusCode.OK, answer);

        using var direct = new HttpClient();
        using var fromReplica = await direct.PostAsJsonAsync(new Uri($"{replicas.A.HttpAddress}/v2/models/fraud/versions/1/infer"), FraudRequests.Json());
        var expected = JsonNode.Parse(await fromReplica.Content.ReadAsStringAsync())!;
        Assert.Equal(expected["outputs"]!.ToJsonString(), JsonNode.Parse(answer)!["outputs"]!.ToJsonString());
    }

    private static async Task AssertUnavailableAsync(GatewayHost gateway, string path, string message)
    {
        using var response = await gateway.Client.PostAsJsonAsync(path, FraudRequests.Json());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(message, (string?)body["error"]);
    }

    private static async Task<string[]> VersionsAsync(GatewayHost gateway, string path, int count = Requests, (string Name, string Value)? headers = null)
    {
        var versions = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(FraudRequests.Json()) };
            if (headers is { } header)
            {
                request.Headers.Add(header.Name, header.Value);
            }

            using var response = await gateway.Client.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode} {text}");
            versions.Add((string)JsonNode.Parse(text)!["model_version"]!);
        }

        return [.. versions.Order(StringComparer.Ordinal)];
    }
}
