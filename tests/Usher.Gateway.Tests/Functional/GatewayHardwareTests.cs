using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Grpc.Core;
using Usher.Backends.Onnx.Samples;
using Usher.Testing;

namespace Usher.Gateway.Tests.Functional;

/// <summary>
/// A model's <c>hardware:</c> requirement, end to end: two <c>usher serve --state</c> replicas labelled
/// <c>hw=cpu</c> and <c>hw=gpu</c> load the same repository (both run it on the CPU here: the requirement
/// is a routing rule) and register themselves; the gateway routes by what their heartbeats report.
/// Which replica answered is counted by each replica's own <c>/metrics</c>.
/// </summary>
public sealed class GatewayHardwareTests : IDisposable
{
    private const int Requests = 30;

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task ModelRequiringAGpu_GoesOnlyToTheGpuReplica_AModelWithoutTheKeyToBoth_AndAConflictingHeaderIs503NamingBoth()
    {
        var (uri, rows) = await TwoReplicas.StateAsync();
        await using var _ = rows;
        var repository = _temp.Combine("repo");
        SampleRepository.CopySample(repository, SampleModels.FraudName);
        SampleRepository.CopySample(repository, SampleModels.FraudName, name: "plain");
        await File.AppendAllTextAsync(Path.Combine(repository, SampleModels.FraudName, "config.yaml"), "hardware: gpu\n");

        await using var cpu = await ServeProcess.StartAsync(repository, _temp.Combine("cpu"), uri, labels: "hw=cpu");
        await using var gpu = await ServeProcess.StartAsync(repository, _temp.Combine("gpu"), uri, labels: "hw=gpu");

        // Both rows as the replicas' own heartbeats wrote them: fraud with its requirement, plain without one.
        await Poll.UntilAsync(
            async () =>
            {
                var up = (await rows.ListAsync()).Where(r => r.IsUp).ToList();
                return up.Count == 2 && up.All(r =>
                    r.Models.Count(m => m.Model == "fraud" && m.Ready && m.Hardware == "gpu") == 2
                    && r.Models.Count(m => m.Model == "plain" && m.Ready && m.Hardware is null) == 2);
            },
            "the two replicas never registered with fraud (hardware gpu) and plain ready");
        await using var gateway = await GatewayHost.StartAsync(uri);

        for (var i = 0; i < Requests; i++)
        {
            await InferAsync(gateway, "fraud");
        }

        Assert.Equal((0, Requests), (await SucceededAsync(cpu, "fraud"), await SucceededAsync(gpu, "fraud")));

        for (var i = 0; i < Requests; i++)
        {
            await InferAsync(gateway, "plain");
        }

        var (plainOnCpu, plainOnGpu) = (await SucceededAsync(cpu, "plain"), await SucceededAsync(gpu, "plain"));
        Assert.Equal(Requests, plainOnCpu + plainOnGpu);
        Assert.True(plainOnCpu > 0 && plainOnGpu > 0, $"plain was not balanced over both replicas: cpu {plainOnCpu}, gpu {plainOnGpu}");

        // The header asks for what the model does not require: no replica, and the answer names both, over REST and gRPC.
        const string conflict = "model 'fraud' requires hw=gpu (hardware: gpu in its config.yaml) but the request asks for hw=cpu (x-usher-hardware: cpu); no replica can meet both: leave the header out, or ask for gpu";
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v2/models/fraud/infer") { Content = JsonContent.Create(FraudRequests.Json()) };
        request.Headers.Add("x-usher-hardware", "cpu");
        using var response = await gateway.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(conflict, (string?)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]);
        var failure = await Assert.ThrowsAsync<RpcException>(() => gateway.Grpc.ModelInferAsync(FraudRequests.Grpc(), new Metadata { { "x-usher-hardware", "cpu" } }).ResponseAsync);
        Assert.Equal((StatusCode.Unavailable, conflict), (failure.StatusCode, failure.Status.Detail));
        Assert.Equal(2, await gateway.CounterAsync("usher_gateway_unroutable_total", ("reason", "HardwareConflict")));

        // The cpu replica loaded fraud all the same, and said once that its label does not meet the requirement.
        Assert.Single(cpu.Output(), l => l.Contains("Model 'fraud' requires hardware 'gpu'", StringComparison.Ordinal) && l.Contains("hw=cpu", StringComparison.Ordinal));
        Assert.DoesNotContain(gpu.Output(), l => l.Contains("requires hardware", StringComparison.Ordinal));
    }

    private static async Task InferAsync(GatewayHost gateway, string model)
    {
        using var response = await gateway.Client.PostAsJsonAsync(new Uri($"/v2/models/{model}/infer", UriKind.Relative), FraudRequests.Json());
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{model}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    private static async Task<int> SucceededAsync(ServeProcess replica, string model)
    {
        using var client = new HttpClient { BaseAddress = new Uri(replica.HttpAddress) };
        var text = await client.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        return (int)GatewayHost.Sum(text, "usher_inference_request_success_total", ("model", model));
    }
}
