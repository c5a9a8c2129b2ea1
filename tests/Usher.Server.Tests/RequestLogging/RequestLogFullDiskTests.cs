using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Usher.Backends.Onnx.Samples;
using Usher.Core.Models;
using Usher.Core.RequestLogging;
using Usher.Core.Telemetry;
using Usher.Core.Tensors;
using Usher.Server.RequestLogging;
using Usher.Server.Tests.Access;
using Usher.Server.Tests.Functional;
using Usher.Testing;
using static Usher.Server.Tests.Functional.WireClient;

namespace Usher.Server.Tests.RequestLogging;

/// <summary>
/// A full disk under the request log. The disk is full at the system-call layer: while "full", the
/// sink's new files are <c>/dev/full</c>, where every write fails with ENOSPC (no root, no mount
/// needed). Each write that fails loses exactly the records the sink had not yet written, the sink
/// gives up that file, and once the disk has room again the next record starts a new file that reads
/// back whole.
/// </summary>
public sealed class RequestLogFullDiskTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 3, 12, 0, 0, TimeSpan.Zero));
    private bool _full;

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("jsonl")]
    [InlineData("parquet")]
    public async Task WritesFailWhileTheDiskIsFull_TheFileIsGivenUpWithWhatItHeld_AndTheNextRecordsStartANewFileThatReadsBack(string name)
    {
        var format = name == "parquet" ? RequestLogFormat.Parquet : RequestLogFormat.Jsonl;
        // A 2 KiB file size makes the Parquet sink write a row group every 512 bytes: about every record.
        var config = new RequestLoggingConfig { Sample = 1, Path = _dir.Path, Format = format, MaxFileBytes = 2048 };
        var sink = format == RequestLogFormat.Parquet
            ? (IRequestLogSink)new ParquetRequestLogSink("fraud", _dir.Path, config, _time, Open)
            : new JsonlRequestLogSink("fraud", _dir.Path, config, _time, Open);

        _full = true;
        var lost = 0;
        var failures = 0;
        for (var i = 0; i < 5; i++)
        {
            try
            {
                await sink.WriteAsync(Record(i), CancellationToken.None);
                await sink.FlushAsync(CancellationToken.None);
            }
            catch (IOException)
            {
                failures++;
                lost += await sink.AbandonAsync();
            }
        }

        // JSONL fails when it flushes what it gathered; Parquet when its row group reaches the file or
        // when it closes the file. Either way nothing is silently kept: the records lost are counted.
        Assert.True(failures > 0, "no write failed on the full device");
        var pending = await sink.AbandonAsync();
        Assert.Equal(5, lost + pending);
        Assert.Empty(Directory.GetFileSystemEntries(_dir.Path));

        _full = false;
        for (var i = 5; i < 12; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(1));
            await sink.WriteAsync(Record(i), CancellationToken.None);
            await sink.FlushAsync(CancellationToken.None);
        }

        await sink.DisposeAsync();
        Assert.True(RequestLogReader.TryOpen(_dir.Path, "fraud", out var reader, out var problem), problem);
        var entries = await reader.ReadAllAsync(100, CancellationToken.None);
        Assert.Equal([5f, 6f, 7f, 8f, 9f, 10f, 11f], entries.Select(e => e.Inputs[0].AsSpan<float>()[0]));
        Assert.Empty(Directory.GetFiles(_dir.Path, ".*"));
    }

    [Fact]
    public async Task ServerWhoseLogDiskIsFull_AnswersEveryRequest_DropsAndCountsEachRecord_AndWarnsOnce()
    {
        SampleRepository.CopySample(_dir.Path, SampleModels.FraudName);
        File.AppendAllText(_dir.Combine("fraud", "config.yaml"), "logging:\n  sample: 1.0\n  path: requests\n  format: jsonl\n");
        _full = true;
        using var logger = new ListLogger();
        RequestLog? log;
        const int Requests = 20;
        await using (var app = await UsherApp.StartAsync(_dir.Path, kestrel: true, configure: builder =>
        {
            builder.Logging.AddProvider(logger);
            builder.Services.Replace(ServiceDescriptor.Singleton<IRequestLogSinkFactory>(new FullDiskSinks(this)));
        }))
        {
            log = app.App.Services.GetRequiredService<RequestLogs>().Find("fraud");
            Assert.NotNull(log);
            for (var i = 0; i < Requests; i++)
            {
                var features = Enumerable.Range(0, SampleModels.FraudFeatures).Select(k => (float)Math.Sin(i + k)).ToArray();
                var input = new WireTensor("features", DataType.Fp32, [1, SampleModels.FraudFeatures], System.Runtime.InteropServices.MemoryMarshal.AsBytes(features.AsSpan()).ToArray(), null);
                var outputs = await InferAsync(app, Wire.RestJson, "fraud", input);
                Assert.NotEmpty(outputs);
            }
        }

        // Stopping drained the log: every record was taken and every one lost to the full disk.
        Assert.Equal(Requests, log.Dropped);
        Assert.Single(logger.Entries, e => e.EventId == LogEvents.RequestLogWriteFailed);
        Assert.DoesNotContain(logger.Entries, e => e.EventId == LogEvents.RequestLogResumed);
        Assert.Empty(Directory.GetFileSystemEntries(_dir.Combine("fraud", "requests")));
    }

    private FileStream Open(string path)
        => _full
            ? new FileStream("/dev/full", FileMode.Open, FileAccess.Write, FileShare.ReadWrite, bufferSize: 0)
            : RequestLogFiles.CreateNew(path);

    private sealed class FullDiskSinks(RequestLogFullDiskTests test) : IRequestLogSinkFactory
    {
        public IRequestLogSink Create(string model, string directory, RequestLoggingConfig config)
        {
            Directory.CreateDirectory(directory);
            return new JsonlRequestLogSink(model, directory, config, TimeProvider.System, test.Open);
        }
    }

    private RequestLogRecord Record(int i)
    {
        var values = Enumerable.Range(0, 64).Select(k => k == 0 ? i : (float)Math.Sin(i + k)).ToArray();
        return new RequestLogRecord(
            _time.GetUtcNow(), "fraud", 1, "fraud", "fraud:1", null, $"r{i}", 0.25,
            [Tensor.FromSpan<float>("features", DataType.Fp32, [1, 64], values)],
            [Tensor.FromSpan<long>("label", DataType.Int64, [1], [i % 2])]);
    }
}
