using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Usher.Server.Tests.Access;
using Usher.Testing;

namespace Usher.Server.Tests.Frontends.Http;

/// <summary>
/// A client that resets its connection in the middle of a request body (a load generator stopping, a
/// mobile client losing its network) is not a server fault: nothing logs an error for it (Usher, the
/// exception middleware, Kestrel) and the server goes on serving everyone else.
/// </summary>
public sealed class ClientHangUpTests : IDisposable
{
    private readonly TempDirectory _repo = new();
    private readonly ListLogger _log = new();

    public ClientHangUpTests() => SampleRepository.CopySample(_repo.Path, "fraud");

    public void Dispose() => _repo.Dispose();

    [Fact]
    public async Task AClientThatResetsMidBody_IsNotAnError_AndOthersAreServed()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var finished = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // No warm-up through the frontends: its loopback requests would be the first through RequestEnd.
        await using var app = await UsherApp.StartAsync(_repo.Path, kestrel: true, server: s => s.WarmupSeconds = 0, configure: b =>
        {
            b.Logging.AddProvider(_log);
            b.Services.AddSingleton<IStartupFilter>(new RequestEnd(started, finished));
        });

        using (var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            await socket.ConnectAsync("127.0.0.1", app.Client.BaseAddress!.Port);
            var head = "POST /v2/models/fraud/infer HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + "Content-Length: 1000\r\n\r\n{\"inputs\":[{\"name\":\"features\",";
            await socket.SendAsync(Encoding.ASCII.GetBytes(head));
            await started.Task.WaitAsync(TimeSpan.FromSeconds(30)); // the request is in the pipeline, waiting for the rest of its body
            socket.LingerState = new LingerOption(true, 0); // close with a reset, as a load generator stopping mid-request does
        }

        await finished.Task.WaitAsync(TimeSpan.FromSeconds(30)); // the server is done with the request

        using var ok = await app.Client.PostAsync("/v2/models/fraud/infer", new StringContent(
            $$"""{"inputs":[{"name":"features","shape":[1,30],"datatype":"FP32","data":[{{string.Join(",", Enumerable.Repeat("0.5", 30))}}]}]}""",
            Encoding.UTF8,
            "application/json"));
        Assert.True(ok.IsSuccessStatusCode, await ok.Content.ReadAsStringAsync());

        // Nothing calls it an error: not Usher's error handler, not the exception middleware, and not Kestrel,
        // whose drain of the rest of the body, once the request is over, fails on the reset body reader (event 67;
        // whether it happens depends on how far the handler's read got, so the next test checks it directly).
        Assert.DoesNotContain(_log.Entries, e => e.Level >= LogLevel.Error);
    }

    [Fact]
    public async Task KestrelsFailedDrainOfAResetBody_IsLoggedAtDebug_AndItsOtherErrorsStayErrors()
    {
        await using var app = await UsherApp.StartAsync(_repo.Path, kestrel: true, configure: b => b.Logging.AddProvider(_log));
        var factory = app.App.Services.GetRequiredService<ILoggerFactory>();
        var kestrel = factory.CreateLogger("Microsoft.AspNetCore.Server.Kestrel");
        var drainFailed = new EventId(67, "RequestBodyDrainBodyReaderInvalidState");

        // As Kestrel logs them (ASP.NET Core's KestrelTrace): the failed drain, and an exception the application threw.
        kestrel.LogError(drainFailed, new InvalidOperationException("Reading is not allowed after reader was completed."), "automatic draining of the request body failed");
        kestrel.LogError(new EventId(13, "ApplicationError"), new InvalidOperationException("boom"), "An unhandled exception was thrown by the application.");
        factory.CreateLogger("Usher.Server").LogError(drainFailed, "the same id in another category");

        // Debug is below the server's level for ASP.NET Core (Warning), so the drain is not written at all.
        var errors = _log.Entries.Where(e => e.Level >= LogLevel.Warning).Select(e => (e.Category, e.EventId, e.Level)).ToList();
        Assert.DoesNotContain(("Microsoft.AspNetCore.Server.Kestrel", 67, LogLevel.Error), errors);
        Assert.Contains(("Microsoft.AspNetCore.Server.Kestrel", 13, LogLevel.Error), errors);
        Assert.Contains(("Usher.Server", 67, LogLevel.Error), errors);
    }

    /// <summary>Signals when the first request enters the pipeline and when it has gone through it, error handling included.</summary>
    private sealed class RequestEnd(TaskCompletionSource started, TaskCompletionSource finished) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use(async (context, inner) =>
            {
                started.TrySetResult();
                try
                {
                    await inner(context);
                }
                finally
                {
                    finished.TrySetResult();
                }
            });
            next(app);
        };
    }
}
