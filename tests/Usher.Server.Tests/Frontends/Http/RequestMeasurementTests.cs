using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Usher.Core.Telemetry;
using Usher.Testing;

namespace Usher.Server.Tests.Frontends.Http;

/// <summary>
/// One latency measurement per request, through the real ASP.NET pipeline: the handler's timestamp,
/// taken on the server's clock, starts the measurement that the version ends, and Server-Timing's
/// <c>total</c> is the figure the request-duration histogram of <c>/metrics</c> recorded. The server
/// runs on a fake clock that moves only where the test moves it: a batching delay of 250 ms holds the
/// request in the queue, so every figure is known exactly.
/// </summary>
public sealed class RequestMeasurementTests : IDisposable
{
    private static readonly TimeSpan QueueDelay = TimeSpan.FromMilliseconds(250);
    private readonly TempDirectory _repo = new();

    public RequestMeasurementTests()
    {
        SampleRepository.CopySample(_repo.Path, "fraud");
        File.WriteAllText(_repo.Combine("fraud", "config.yaml"), $$"""
            max_batch_size: 64
            dynamic_batching: { max_batch_size: 8, max_queue_delay_microseconds: {{QueueDelay.Ticks / 10}} }
            """);
    }

    public void Dispose() => _repo.Dispose();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Infer_ServerTimingsTotal_IsTheMeasurementMetricsRecorded_OnTheServersClock(bool stages)
    {
        var time = new FakeTimeProvider();
        await using var app = await UsherApp.StartAsync(
            _repo.Path,
            server: o => { o.WarmupSeconds = 0; o.TimingStages = stages; },
            configure: b => b.Services.AddSingleton<TimeProvider>(time));
        var totals = Assert.Single(app.App.Services.GetRequiredService<UsherMetrics>().Totals);
        var buckets = new long[totals.RequestDuration.Buckets];
        var sumBefore = totals.RequestDuration.Read(buckets);
        var version = app.Models.Find("fraud")!.Versions.Single(v => v.Version == 2).Loaded!;

        var body = $$"""{"inputs":[{"name":"features","shape":[1,30],"datatype":"FP32","data":[{{string.Join(',', Enumerable.Repeat("0.5", 30))}}]}]}""";
        var sent = app.Client.PostAsync("/v2/models/fraud/versions/2/infer", new StringContent(body, Encoding.UTF8, "application/json"));

        // The request waits for its batch's delay on the fake clock; nothing else moves it.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (version.Pending == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the request never reached the batcher's queue");
            await Task.Delay(10);
        }

        time.Advance(QueueDelay);
        using var response = await sent.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var timing = Timing(response);
        Assert.Equal(250.0, timing["queue"]);
        Assert.Equal(0.0, timing["compute"]);
        Assert.Equal(250.0, timing["total"]);
        Assert.Equal(QueueDelay.Ticks, totals.RequestDuration.Read(buckets) - sumBefore);
        if (stages)
        {
            Assert.Equal((0.0, 0.0, 0.0), (timing["read"], timing["decode"], timing["run"]));
        }
    }

    [Fact]
    public async Task Infer_TheBodysReadIsInTheMeasurement_OfServerTimingAndMetricsAlike()
    {
        // The body arrives in two writes with 40 ms of the server's clock between them. The measurement
        // starts when the handler begins, before the body is read, so both Server-Timing's total and
        // the histogram of /metrics hold the 40 ms of reading besides the 250 ms in the queue. (Before
        // one timestamp per request, /metrics started at the router, after the body, and read 250.)
        var reading = TimeSpan.FromMilliseconds(40);
        var time = new FakeTimeProvider();
        await using var app = await UsherApp.StartAsync(
            _repo.Path,
            server: o => { o.WarmupSeconds = 0; o.TimingStages = true; },
            configure: b => b.Services.AddSingleton<TimeProvider>(time));
        var totals = Assert.Single(app.App.Services.GetRequiredService<UsherMetrics>().Totals);
        var buckets = new long[totals.RequestDuration.Buckets];
        var sumBefore = totals.RequestDuration.Read(buckets);
        var version = app.Models.Find("fraud")!.Versions.Single(v => v.Version == 2).Loaded!;

        using var content = new TwoPartContent(
            Encoding.UTF8.GetBytes(new string(' ', 96 * 1024)),
            Encoding.UTF8.GetBytes($$"""{"inputs":[{"name":"features","shape":[1,30],"datatype":"FP32","data":[{{string.Join(',', Enumerable.Repeat("0.5", 30))}}]}]}"""));
        var sent = app.Client.PostAsync("/v2/models/fraud/versions/2/infer", content);

        // The in-memory server's request pipe holds at most 64 KiB unread, so the first part's write
        // returns only once the handler has read from the body: its start is taken by then.
        await content.FirstPartTaken.WaitAsync(TimeSpan.FromSeconds(30));
        time.Advance(reading);
        content.SendTheRest();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (version.Pending == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the request never reached the batcher's queue");
            await Task.Delay(10);
        }

        time.Advance(QueueDelay);
        using var response = await sent.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal((reading + QueueDelay).Ticks, totals.RequestDuration.Read(buckets) - sumBefore);
        var timing = Timing(response);
        Assert.Equal(290.0, timing["total"]);
        Assert.Equal((40.0, 0.0, 250.0, 0.0, 0.0), (timing["read"], timing["decode"], timing["queue"], timing["compute"], timing["run"]));
    }

    private static Dictionary<string, double> Timing(HttpResponseMessage response)
        => string.Join(",", response.Headers.GetValues("Server-Timing"))
            .Split(',', StringSplitOptions.TrimEntries)
            .Select(e => e.Split(";dur=", 2))
            .ToDictionary(p => p[0], p => double.Parse(p[1], CultureInfo.InvariantCulture));

    /// <summary>A JSON body written in two parts: the second only when the test says so.</summary>
    private sealed class TwoPartContent(byte[] first, byte[] rest) : HttpContent
    {
        private readonly TaskCompletionSource _firstTaken = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _sendRest = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task FirstPartTaken => _firstTaken.Task;

        public void SendTheRest() => _sendRest.TrySetResult();

        protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context)
        {
            await stream.WriteAsync(first);
            await stream.FlushAsync();
            _firstTaken.TrySetResult();
            await _sendRest.Task;
            await stream.WriteAsync(rest);
        }

        protected override bool TryComputeLength(out long length)
        {
            length = first.Length + rest.Length;
            return true;
        }
    }
}
