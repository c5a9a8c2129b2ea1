using Microsoft.Extensions.Time.Testing;
using Usher.Core.Models;
using Usher.Core.RequestLogging;
using Usher.Core.Tensors;
using Usher.Server.RequestLogging;
using Usher.Testing;

namespace Usher.Server.Tests.RequestLogging;

/// <summary>The request log's files: rotation by size, the oldest deleted past max_bytes, Parquet files hidden until closed, the reader's errors.</summary>
public sealed class RequestLogFilesTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 3, 12, 0, 0, TimeSpan.Zero));

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("jsonl")]
    [InlineData("parquet")]
    public async Task SmallSizes_RotateFiles_AndDeleteTheOldestPastMaxBytes(string name)
    {
        var format = name == "parquet" ? RequestLogFormat.Parquet : RequestLogFormat.Jsonl;
        // Each record carries 256 FP32 values (1 KiB); files close past 4 KiB; the folder holds at most 16 KiB.
        var config = new RequestLoggingConfig { Sample = 1, Path = _dir.Path, Format = format, MaxBytes = 16 * 1024, MaxFileBytes = 4 * 1024 };
        await using (var sink = Sink(config))
        {
            for (var i = 0; i < 100; i++)
            {
                _time.Advance(TimeSpan.FromSeconds(1));
                await sink.WriteAsync(Record(i), CancellationToken.None);
            }
        }

        var files = RequestLogFiles.Closed(_dir.Path);
        Assert.InRange(files.Count, 2, 8);
        Assert.True(files.Sum(f => f.Length) <= config.MaxBytes, $"{files.Sum(f => f.Length)} bytes in {files.Count} files");
        Assert.Empty(Directory.GetFiles(_dir.Path, ".*"));

        // What is left is the newest records, in order, ending with the last one written.
        Assert.True(RequestLogReader.TryOpen(_dir.Path, "fraud", out var reader, out var problem), problem);
        var entries = await reader.ReadAllAsync(1000, CancellationToken.None);
        var first = (int)entries[0].Inputs[0].AsSpan<float>()[0];
        Assert.True(first > 0, "the oldest records were deleted");
        Assert.Equal(Enumerable.Range(first, 100 - first), entries.Select(e => (int)e.Inputs[0].AsSpan<float>()[0]));
        Assert.Equal(Enumerable.Range(first, 100 - first).Select(i => _time.Start.AddSeconds(i + 1)), entries.Select(e => e.Timestamp));
    }

    [Fact]
    public async Task Parquet_OpenFileIsHidden_UntilItIsClosed()
    {
        var config = new RequestLoggingConfig { Sample = 1, Path = _dir.Path, Format = RequestLogFormat.Parquet, MaxBytes = 1 << 30, MaxFileBytes = 1 << 20 };
        var sink = Sink(config);
        for (var i = 0; i < 300; i++)
        {
            await sink.WriteAsync(Record(i), CancellationToken.None);
        }

        // Row groups are on disk, but the file has no footer yet: readers see no request log.
        Assert.Single(Directory.GetFiles(_dir.Path, ".*.open"));
        Assert.False(RequestLogReader.TryOpen(_dir.Path, "fraud", out _, out var problem));
        Assert.Contains("holds no request log", problem, StringComparison.Ordinal);

        await sink.DisposeAsync();
        Assert.Empty(Directory.GetFiles(_dir.Path, ".*"));
        Assert.True(RequestLogReader.TryOpen(_dir.Path, "fraud", out var reader, out _));
        Assert.Equal(300, (await reader.ReadAllAsync(1000, CancellationToken.None)).Count);
    }

    [Fact]
    public async Task Jsonl_TornLastLine_IsSkipped()
    {
        var config = new RequestLoggingConfig { Sample = 1, Path = _dir.Path };
        await using (var sink = Sink(config))
        {
            await sink.WriteAsync(Record(1), CancellationToken.None);
            await sink.WriteAsync(Record(2), CancellationToken.None);
        }

        var file = Assert.Single(RequestLogFiles.Closed(_dir.Path));
        File.AppendAllText(file.FullName, "{\"timestamp\":\"2026-12-0");

        Assert.True(RequestLogReader.TryOpen(_dir.Path, null, out var reader, out _));
        Assert.Equal([1f, 2f], (await reader.ReadAllAsync(10, CancellationToken.None)).Select(e => e.Inputs[0].AsSpan<float>()[0]));
    }

    [Fact]
    public void Reader_MissingFolder_OrOtherFiles_SaysWhatWasExpected()
    {
        Assert.False(RequestLogReader.TryOpen(_dir.Combine("nothing"), "fraud", out _, out var missing));
        Assert.Contains("does not exist", missing, StringComparison.Ordinal);

        File.WriteAllText(_dir.Combine("requests.csv"), "a,b\n");
        Assert.False(RequestLogReader.TryOpen(_dir.Path, "fraud", out _, out var other));
        Assert.Equal($"{_dir.Path} holds no request log files (.jsonl or .parquet written by 'logging:' in config.yaml); found requests.csv", other);
    }

    [Fact]
    public async Task Reader_OtherModelsOnly_IsNoSamplesOfThisModel()
    {
        await using (var sink = Sink(new RequestLoggingConfig { Sample = 1, Path = _dir.Path }))
        {
            await sink.WriteAsync(Record(1) with { Model = "other" }, CancellationToken.None);
        }

        Assert.True(RequestLogReader.TryOpen(_dir.Path, "fraud", out var reader, out _));
        var error = await Assert.ThrowsAsync<InvalidDataException>(() => reader.ReadAllAsync(10, CancellationToken.None));
        Assert.Equal($"{_dir.Path} holds no logged requests of model 'fraud' (1 files read)", error.Message);
    }

    [Fact]
    public async Task Parquet_UnderLowTraffic_ClosesItsFileWhenTheChannelEmptiesFiveMinutesAfterItsFirstRecord()
    {
        var config = new RequestLoggingConfig { Sample = 1, Path = _dir.Path, Format = RequestLogFormat.Parquet };
        await using var sink = Sink(config);
        for (var i = 0; i < 3; i++)
        {
            await sink.WriteAsync(Record(i), CancellationToken.None);
            await sink.FlushAsync(CancellationToken.None);
            _time.Advance(TimeSpan.FromMinutes(2));
        }

        // 4 minutes after the first record: all three still only in memory.
        Assert.Empty(Directory.GetFileSystemEntries(_dir.Path));

        _time.Advance(TimeSpan.FromMinutes(1));
        await sink.WriteAsync(Record(3), CancellationToken.None);
        await sink.FlushAsync(CancellationToken.None);

        // A crash from here loses none of them: the file is closed and reads back whole.
        var closed = Assert.Single(RequestLogFiles.Closed(_dir.Path));
        Assert.True(RequestLogReader.TryOpen(_dir.Path, "fraud", out var reader, out var problem), problem);
        var entries = await reader.ReadAllAsync(100, CancellationToken.None);
        Assert.Equal([0f, 1f, 2f, 3f], entries.Select(e => e.Inputs[0].AsSpan<float>()[0]));
        Assert.Empty(Directory.GetFiles(_dir.Path, ".*"));

        // The next record begins a new file, with its own five minutes.
        await sink.WriteAsync(Record(4), CancellationToken.None);
        await sink.FlushAsync(CancellationToken.None);
        Assert.Equal([closed.Name], RequestLogFiles.Closed(_dir.Path).Select(f => f.Name));
    }

    private IRequestLogSink Sink(RequestLoggingConfig config) => new RequestLogSinkFactory(_time).Create("fraud", _dir.Path, config);

    private RequestLogRecord Record(int i)
    {
        var values = Enumerable.Range(0, 256).Select(k => k == 0 ? i : (float)Math.Sin(i + k)).ToArray();
        return new RequestLogRecord(
            _time.GetUtcNow(), "fraud", 1, "fraud", "fraud:1", i % 2 == 0 ? $"user-{i}" : null, null, 0.25,
            [Tensor.FromSpan<float>("features", DataType.Fp32, [1, 256], values)],
            [Tensor.FromSpan<long>("label", DataType.Int64, [1], [i % 2])]);
    }
}
