using System.Globalization;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Usher.Gateway.Hosting;
using Usher.Gateway.Registry;
using Usher.Server.Protos;

namespace Usher.Gateway.Tests.Functional;

/// <summary>The gateway on real Kestrel (loopback, free ports), in this process, with real clients to it.</summary>
internal sealed class GatewayHost : IAsyncDisposable
{
    private GatewayHost(WebApplication app, HttpClient client, GrpcChannel channel)
    {
        App = app;
        Client = client;
        Channel = channel;
        Grpc = new GRPCInferenceService.GRPCInferenceServiceClient(channel);
    }

    public WebApplication App { get; }

    public HttpClient Client { get; }

    public GrpcChannel Channel { get; }

    public GRPCInferenceService.GRPCInferenceServiceClient Grpc { get; }

    /// <summary>
    /// Starts a gateway on <paramref name="stateUri"/>. The registry is read at start and then when a
    /// test calls <see cref="RefreshAsync"/> (the periodic read waits an hour on <paramref name="time"/>).
    /// </summary>
    public static async Task<GatewayHost> StartAsync(string stateUri, Func<GatewayOptions, GatewayOptions>? options = null, TimeProvider? time = null)
    {
        var settings = new GatewayOptions { State = stateUri, Host = "127.0.0.1", HttpPort = 0, GrpcPort = 0, RefreshInterval = TimeSpan.FromHours(1) };
        settings = options?.Invoke(settings) ?? settings;
        Assert.Empty(settings.Problems());
        var app = UsherGateway.Build(settings, time);
        await UsherGateway.PrepareAsync(app, CancellationToken.None);
        await app.StartAsync();
        var endpoints = app.Services.GetRequiredService<GatewayEndpoints>();
        var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{endpoints.HttpPort}") };
        var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{endpoints.GrpcPort}");
        return new GatewayHost(app, client, channel);
    }

    /// <summary>Reads the registry now (after a test changed its rows).</summary>
    public Task RefreshAsync() => App.Services.GetRequiredService<RegistryRefreshService>().RefreshAsync(CancellationToken.None);

    /// <summary>The gateway's <c>/metrics</c> text.</summary>
    public Task<string> MetricsAsync() => Client.GetStringAsync(new Uri(UsherGateway.MetricsPath, UriKind.Relative));

    /// <summary>The sum of the samples of counter <paramref name="name"/> whose labels include every one of <paramref name="labels"/>.</summary>
    public async Task<double> CounterAsync(string name, params (string Label, string Value)[] labels) => Sum(await MetricsAsync(), name, labels);

    /// <summary>The sum of the samples of <paramref name="name"/> in Prometheus text <paramref name="text"/> (a gateway's or a replica's) whose labels include every one of <paramref name="labels"/>.</summary>
    public static double Sum(string text, string name, params (string Label, string Value)[] labels)
    {
        double sum = 0;
        foreach (var line in text.Split('\n'))
        {
            if (!line.StartsWith(name + "{", StringComparison.Ordinal) && !line.StartsWith(name + " ", StringComparison.Ordinal))
            {
                continue;
            }

            var close = line.IndexOf('}', StringComparison.Ordinal);
            var labelText = close > 0 ? line[..close] : string.Empty;
            if (labels.All(l => labelText.Contains($"{l.Label}=\"{l.Value}\"", StringComparison.Ordinal)))
            {
                var value = line[(close > 0 ? close + 1 : name.Length)..].Trim().Split(' ')[0];
                sum += double.Parse(value, CultureInfo.InvariantCulture);
            }
        }

        return sum;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        Channel.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
