using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Usher.Backends.Onnx.Samples;
using Usher.ControlPlane.Cluster;
using Usher.Gateway.Configuration;
using Usher.Gateway.Retries;
using Usher.Testing;
using Xunit.Abstractions;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Model;

namespace Usher.Gateway.Tests.Functional;

/// <summary>Replicas that die, stop or fail every request, behind the real gateway, under real clients.</summary>
public sealed class GatewayFailureTests(ITestOutputHelper output) : IDisposable
{
    private const int Workers = 4;

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    /// <param name="registered">Whether the replicas register themselves (<c>usher serve --state</c>,
    /// heartbeats and all), or each has its own state file and the test writes its registry row.</param>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ThreeReplicas_KillNineOneUnderSteadyLoad_NoClientRequestFails_AndTheGatewayStopsSendingToIt(bool registered)
    {
        var (uri, rows) = await TwoReplicas.StateAsync();
        await using var _ = rows;
        var replicas = new List<ServeProcess>();
        try
        {
            var repository = _temp.Combine("repo");
            SampleRepository.CopySample(repository, SampleModels.FraudName);
            var ids = new string[3];
            for (var i = 0; i < 3; i++)
            {
                replicas.Add(await ServeProcess.StartAsync(repository, _temp.Combine($"data{i}"), registered ? uri : null));
                ids[i] = $"r{i}";
                if (!registered)
                {
                    await rows.UpsertAsync(new ReplicaRow(ids[i], replicas[i].HttpAddress, null, "default", [("fraud", 1, true), ("fraud", 2, true)]));
                }
            }

            if (registered)
            {
                // Each replica's row, as its own heartbeat wrote it, with both versions ready.
                for (var i = 0; i < 3; i++)
                {
                    var address = replicas[i].HttpAddress.TrimEnd('/');
                    ReplicaInfo? row = null;
                    await Poll.UntilAsync(
                        async () => (row = (await rows.ListAsync()).SingleOrDefault(r => r.HttpAddress.TrimEnd('/') == address && r.IsUp)) is { } found
                            && found.Models.Count(m => m.Model == "fraud" && m.Ready) == 2,
                        $"replica {i} ({address}) never registered with fraud 1 and 2 ready");
                    ids[i] = row!.Id;
                }
            }

            var r1 = ids[1];
            await using var gateway = await GatewayHost.StartAsync(uri, o => o with { HealthCheckInterval = TimeSpan.FromSeconds(1) });
            var load = new SteadyLoad(gateway);
            await load.UntilAsync(100);
            Assert.True(await gateway.CounterAsync("usher_gateway_requests_total", ("replica", r1)) > 0, "r1 took no requests before the kill");

            await replicas[1].KillAsync();
            var killedAt = load.Succeeded;

            // The gateway takes r1 out (its first failed connection, then the probes keep it out)...
            var lookup = gateway.App.Services.GetRequiredService<IProxyStateLookup>();
            Assert.True(lookup.TryGetCluster(ReplicaProxyConfigProvider.RestCluster, out var cluster));
            await Poll.UntilAsync(() => Out(cluster.Destinations[r1]), "r1 never left the gateway's available destinations");

            // Attempts that chose r1 just before it left finish (refused, retried) before their client's next request.
            await load.UntilAsync(load.Succeeded + (10 * Workers));
            var attemptsOut = await gateway.CounterAsync("usher_gateway_requests_total", ("replica", r1));

            // ...and sends it nothing more, while the others answer everything.
            await load.UntilAsync(load.Succeeded + 200);
            if (registered)
            {
                // The survivors' sweep marks the killed replica down once its heartbeat is older than
                // cluster.down_after (database clock), and the gateway's next read of the registry (here
                // on the test's call: its periodic one waits an hour in these tests) drops it.
                await Poll.UntilAsync(async () => (await rows.ListAsync()).Single(r => r.Id == r1).DownAt is not null, "the killed replica was never marked down");
                await gateway.RefreshAsync();
                Assert.False(cluster.Destinations.ContainsKey(r1), "the gateway kept the replica marked down among its destinations");
                await load.UntilAsync(load.Succeeded + 50);
            }

            var failures = await load.StopAsync();
            Assert.Equal(0, failures);
            Assert.Equal(attemptsOut, await gateway.CounterAsync("usher_gateway_requests_total", ("replica", r1)));
            var retries = await gateway.CounterAsync("usher_gateway_retries_total");
            var failedOnR1 = await gateway.CounterAsync("usher_gateway_requests_total", ("replica", r1), ("outcome", "error"));
            output.WriteLine($"requests before the kill {killedAt}, after {load.Succeeded - killedAt}; attempts that failed on r1 {failedOnR1}, retries {retries}");
            Assert.Equal(failedOnR1, retries);
        }
        finally
        {
            foreach (var replica in replicas)
            {
                await replica.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task TwoRegions_StopTheHomeRegionsReplicas_RequestsGoToTheOtherRegionWithNoFailure()
    {
        // Region eu has two replicas (fraud version 1), region us one (version 2): an answer's version
        // says which region served it.
        var (uri, rows) = await TwoReplicas.StateAsync();
        await using var _ = rows;
        await using var eu1 = await InProcessReplica.StartAsync([1]);
        await using var eu2 = await InProcessReplica.StartAsync([1]);
        await using var us = await InProcessReplica.StartAsync([2]);
        await rows.UpsertAsync(new ReplicaRow("eu1", eu1.HttpAddress, null, "eu", [("fraud", 1, true)]));
        await rows.UpsertAsync(new ReplicaRow("eu2", eu2.HttpAddress, null, "eu", [("fraud", 1, true)]));
        await rows.UpsertAsync(new ReplicaRow("us1", us.HttpAddress, null, "us", [("fraud", 2, true)]));
        await using var gateway = await GatewayHost.StartAsync(uri, o => o with { Region = "eu", HealthCheckInterval = TimeSpan.FromSeconds(1) });

        var load = new SteadyLoad(gateway);
        await load.UntilAsync(50);
        Assert.Equal(["1"], load.Versions());
        Assert.True(await gateway.CounterAsync("usher_gateway_requests_total", ("replica", "eu1")) > 0, "eu1 took no requests");
        Assert.True(await gateway.CounterAsync("usher_gateway_requests_total", ("replica", "eu2")) > 0, "eu2 took no requests");

        var stopped = Stopwatch.StartNew();
        await eu1.StopAsync();
        await eu2.StopAsync();
        await load.UntilAsync(load.Succeeded + 100);
        var failures = await load.StopAsync();

        Assert.Equal(0, failures);
        Assert.Contains("2", load.Versions());
        Assert.True(await gateway.CounterAsync("usher_gateway_failovers_total", ("from", "eu"), ("to", "us")) > 0);
        output.WriteLine($"first answer from region us {load.FirstAnswerAfter("2", stopped):F1} ms after region eu stopped");
    }

    [Fact]
    public async Task EveryReplicaAnswers503_RetriesStayWithinTheBudget()
    {
        var (uri, rows) = await TwoReplicas.StateAsync();
        await using var _ = rows;
        await using var a = await InProcessReplica.StartAsync([1]);
        await using var b = await InProcessReplica.StartAsync([2]);
        using var admin = new HttpClient();
        foreach (var (replica, version) in new[] { (a, 1), (b, 2) })
        {
            using var fault = await admin.PutAsJsonAsync(new Uri($"{replica.HttpAddress}/admin/endpoints/fraud/faults/{version}"), new { abort_fraction = 1.0, abort_status = 503 });
            Assert.True(fault.IsSuccessStatusCode, await fault.Content.ReadAsStringAsync());
        }

        await rows.UpsertAsync(new ReplicaRow("a", a.HttpAddress, null, "default", [("fraud", 1, true)]));
        await rows.UpsertAsync(new ReplicaRow("b", b.HttpAddress, null, "default", [("fraud", 2, true)]));

        // Fake time: the whole run is one budget window.
        await using var gateway = await GatewayHost.StartAsync(uri, time: new FakeTimeProvider());
        const int requests = 200;
        for (var i = 0; i < requests; i++)
        {
            using var response = await gateway.Client.PostAsJsonAsync("/v2/models/fraud/infer", FraudRequests.Json());
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        }

        // Floor 10 + 10% of 200 requests.
        var retries = await gateway.CounterAsync("usher_gateway_retries_total", ("reason", "unavailable"));
        Assert.InRange(retries, 10, 10 + (0.1 * requests));
        Assert.Equal(requests + retries, await gateway.CounterAsync("usher_gateway_requests_total"));
        Assert.Equal(requests - retries, await gateway.CounterAsync("usher_gateway_retries_refused_total"));
        output.WriteLine($"{requests} requests, {retries} retries");
    }

    [Fact]
    public async Task OneReplicaAnswers503_RestAndGrpcInferencesAreRetriedOnTheOther_AndAllSucceed()
    {
        var (uri, rows) = await TwoReplicas.StateAsync();
        await using var _ = rows;
        await using var a = await InProcessReplica.StartAsync([1]);
        await using var b = await InProcessReplica.StartAsync([2]);
        using var admin = new HttpClient();
        using (var fault = await admin.PutAsJsonAsync(new Uri($"{a.HttpAddress}/admin/endpoints/fraud/faults/1"), new { abort_fraction = 1.0, abort_status = 503 }))
        {
            Assert.True(fault.IsSuccessStatusCode, await fault.Content.ReadAsStringAsync());
        }

        await rows.UpsertAsync(new ReplicaRow("a", a.HttpAddress, a.GrpcAddress, "default", [("fraud", 1, true)]));
        await rows.UpsertAsync(new ReplicaRow("b", b.HttpAddress, b.GrpcAddress, "default", [("fraud", 2, true)]));
        await using var gateway = await GatewayHost.StartAsync(uri, o => o with { RetryBudgetFloor = 100 });

        for (var i = 0; i < 20; i++)
        {
            using var response = await gateway.Client.PostAsJsonAsync("/v2/models/fraud/infer", FraudRequests.Json());
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, text);
            Assert.Equal("2", (string?)System.Text.Json.Nodes.JsonNode.Parse(text)!["model_version"]);
            Assert.Equal("2", (await gateway.Grpc.ModelInferAsync(FraudRequests.Grpc())).ModelVersion);
        }

        // Every attempt that went to a (REST 503, gRPC UNAVAILABLE) was held back and retried on b.
        var onA = await gateway.CounterAsync("usher_gateway_requests_total", ("replica", "a"));
        Assert.True(onA > 0, "no request went to replica a");
        Assert.Equal(onA, await gateway.CounterAsync("usher_gateway_retries_total", ("replica", "a"), ("reason", "unavailable")));
        Assert.Equal(40, await gateway.CounterAsync("usher_gateway_requests_total", ("replica", "b"), ("outcome", "2xx")));
    }

    [Fact]
    public async Task ConnectionRefused_AnInferenceIsRetriedOnReplicasNotTried_UpToMaxAttempts_AnAdminCallIsNot()
    {
        var (uri, rows) = await TwoReplicas.StateAsync();
        await using var _ = rows;
        for (var i = 0; i < 4; i++)
        {
            await rows.UpsertAsync(new ReplicaRow($"dead{i}", $"http://127.0.0.1:{ClosedPort()}", null, "default", [("fraud", 1, true)]));
        }

        await using var gateway = await GatewayHost.StartAsync(uri);
        using (var inference = await gateway.Client.PostAsJsonAsync("/v2/models/fraud/infer", FraudRequests.Json()))
        {
            Assert.Equal(HttpStatusCode.BadGateway, inference.StatusCode);
        }

        // Four replicas refuse: the inference tries three of them (the first and two retries), each once.
        Assert.Equal(RetryMiddleware.MaxAttempts, await gateway.CounterAsync("usher_gateway_requests_total", ("outcome", "error")));
        Assert.Equal(RetryMiddleware.MaxAttempts - 1, await gateway.CounterAsync("usher_gateway_retries_total", ("reason", "connection")));

        using (var control = await gateway.Client.PutAsJsonAsync("/admin/endpoints/fraud/faults/1", new { abort_fraction = 0.5 }))
        {
            Assert.Equal(HttpStatusCode.BadGateway, control.StatusCode);
        }

        Assert.Equal(RetryMiddleware.MaxAttempts + 1, await gateway.CounterAsync("usher_gateway_requests_total", ("outcome", "error")));
        Assert.Equal(RetryMiddleware.MaxAttempts - 1, await gateway.CounterAsync("usher_gateway_retries_total"));
    }

    private static bool Out(DestinationState destination) =>
        destination.Health.Passive == DestinationHealth.Unhealthy || destination.Health.Active == DestinationHealth.Unhealthy;

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary><see cref="Workers"/> clients sending fraud inferences back to back through the gateway until stopped.</summary>
    private sealed class SteadyLoad
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly List<Task> _workers = [];
        private readonly System.Collections.Concurrent.ConcurrentQueue<(string Version, long At)> _answers = new();
        private int _succeeded;
        private int _failed;

        public SteadyLoad(GatewayHost gateway)
        {
            for (var i = 0; i < Workers; i++)
            {
                _workers.Add(Task.Run(() => RunAsync(gateway)));
            }
        }

        public int Succeeded => Volatile.Read(ref _succeeded);

        public async Task UntilAsync(int succeeded)
        {
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(120));
            while (Succeeded < succeeded)
            {
                Assert.False(deadline.IsCancellationRequested, $"only {Succeeded} of {succeeded} requests answered");
                Assert.Equal(0, Volatile.Read(ref _failed));
                await Task.Delay(10);
            }
        }

        public async Task<int> StopAsync()
        {
            await _stop.CancelAsync();
            await Task.WhenAll(_workers);
            return _failed;
        }

        public string[] Versions() => [.. _answers.Select(a => a.Version).Distinct().Order(StringComparer.Ordinal)];

        public double FirstAnswerAfter(string version, Stopwatch since)
        {
            var start = Stopwatch.GetTimestamp() - since.ElapsedTicks;
            var first = _answers.Where(a => a.Version == version && a.At >= start).Select(a => a.At).DefaultIfEmpty(start).Min();
            return Stopwatch.GetElapsedTime(start, first).TotalMilliseconds;
        }

        private async Task RunAsync(GatewayHost gateway)
        {
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    using var response = await gateway.Client.PostAsJsonAsync("/v2/models/fraud/infer", FraudRequests.Json());
                    if (response.StatusCode == HttpStatusCode.OK)
                    {
                        var body = System.Text.Json.Nodes.JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
                        _answers.Enqueue(((string)body["model_version"]!, Stopwatch.GetTimestamp()));
                        Interlocked.Increment(ref _succeeded);
                    }
                    else
                    {
                        Interlocked.Increment(ref _failed);
                    }
                }
                catch (HttpRequestException)
                {
                    Interlocked.Increment(ref _failed);
                }
            }
        }
    }
}
