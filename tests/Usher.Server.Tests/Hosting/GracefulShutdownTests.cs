using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Usher.Testing;

namespace Usher.Server.Tests.Hosting;

public sealed class GracefulShutdownTests
{
    [Fact]
    public async Task Stop_WhileARequestIsInFlight_LetsItFinishThenReleasesTheModels()
    {
        using var repo = new TempDirectory();
        SampleRepository.CopySample(repo.Path, "fraud");
        // The server's side of "in flight": the request has reached the pipeline. The client's flush of
        // the first bytes alone is not enough: a connection whose headers the server has not parsed yet
        // is idle to Kestrel, and a shutdown closes it at once (broken pipe on a loaded machine).
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var app = await UsherApp.StartAsync(repo.Path, kestrel: true, configure: b => b.Services.AddTransient<IStartupFilter>(_ => new Arrival(arrived)));
        var version = app.Models.Acquire("fraud", null).Value!;

        // A request whose body is still arriving when the shutdown starts.
        var body = Encoding.UTF8.GetBytes($$"""{"inputs":[{"name":"features","shape":[1,30],"datatype":"FP32","data":{{JsonSerializer.Serialize(new float[30])}}}]}""");
        var gate = new TaskCompletionSource();
        var content = new GatedContent(body, gate.Task);
        var inFlight = app.Client.PostAsync("/v2/models/fraud/infer", content);
        await content.Started.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await arrived.Task.WaitAsync(TimeSpan.FromSeconds(30));

        var stopping = app.App.StopAsync();

        // New connections are refused once the shutdown starts; the request in flight is not cut.
        using (var other = new HttpClient { BaseAddress = app.Client.BaseAddress })
        {
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (true)
            {
                try
                {
                    await other.GetAsync("/v2/health/live");
                }
                catch (HttpRequestException)
                {
                    break;
                }

                Assert.True(DateTime.UtcNow < deadline, "the server kept accepting connections while stopping");
                await Task.Delay(10);
            }
        }

        Assert.False(stopping.IsCompleted);
        gate.SetResult();

        var response = await inFlight.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await stopping.WaitAsync(TimeSpan.FromSeconds(30));

        version.Release();
        await app.DisposeAsync();
        Assert.False(version.TryAcquire());
    }

    /// <summary>Signals when an inference request enters the server's pipeline.</summary>
    private sealed class Arrival(TaskCompletionSource arrived) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, nextMiddleware) =>
            {
                if (context.Request.Path.Value?.EndsWith("/infer", StringComparison.Ordinal) == true)
                {
                    arrived.TrySetResult();
                }

                return nextMiddleware(context);
            });
            next(app);
        };
    }

    private sealed class GatedContent(byte[] body, Task gate) : HttpContent
    {
        public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context)
        {
            await stream.WriteAsync(body.AsMemory(0, 10));
            await stream.FlushAsync();
            Started.TrySetResult();
            await gate;
            await stream.WriteAsync(body.AsMemory(10));
        }

        protected override bool TryComputeLength(out long length)
        {
            length = body.Length;
            return true;
        }
    }
}
