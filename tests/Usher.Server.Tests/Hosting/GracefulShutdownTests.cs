using System.Net;
using System.Text;
using System.Text.Json;
using Usher.Testing;

namespace Usher.Server.Tests.Hosting;

public sealed class GracefulShutdownTests
{
    [Fact]
    public async Task Stop_WhileARequestIsInFlight_LetsItFinishThenReleasesTheModels()
    {
        using var repo = new TempDirectory();
        SampleRepository.CopySample(repo.Path, "fraud");
        var app = await UsherApp.StartAsync(repo.Path, kestrel: true);
        var version = app.Models.Acquire("fraud", null).Value!;

        // A request whose body is still arriving when the shutdown starts.
        var body = Encoding.UTF8.GetBytes($$"""{"inputs":[{"name":"features","shape":[1,30],"datatype":"FP32","data":{{JsonSerializer.Serialize(new float[30])}}}]}""");
        var gate = new TaskCompletionSource();
        var content = new GatedContent(body, gate.Task);
        var inFlight = app.Client.PostAsync("/v2/models/fraud/infer", content);
        await content.Started.Task.WaitAsync(TimeSpan.FromSeconds(30));

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
