using Parquet;
using Parquet.Schema;
using Usher.Core.Models;
using Usher.Core.RequestLogging;

namespace Usher.Server.RequestLogging;

/// <summary>
/// Writes a request log as Parquet (<see cref="ParquetRequestLogLayout"/>). Records are buffered and
/// written as a row group once they pass a share of the rotation size; the file is written under a
/// hidden name and closed (footer written, renamed to its <c>.parquet</c> name) once it passes the
/// rotation size, when the requests' tensors change, at shutdown, and when the channel empties
/// <see cref="MaxFileAge"/> after the file's first record. A crash loses at most the open file, never
/// a closed one. A failed write (a full disk) abandons the open file: it is deleted, the
/// records in it and buffered are lost, and the next record begins a new file.
/// </summary>
/// <param name="model">The model logged (the files' name prefix).</param>
/// <param name="directory">The folder written to.</param>
/// <param name="config">The model's <c>logging</c> section (rotation and folder sizes).</param>
/// <param name="time">The clock that names new files.</param>
/// <param name="open">Creates a new, unbuffered file at a path (tests give a full device here); by default <see cref="RequestLogFiles.CreateNew"/>.</param>
internal sealed class ParquetRequestLogSink(string model, string directory, RequestLoggingConfig config, TimeProvider time, Func<string, FileStream>? open = null) : IRequestLogSink
{
    private readonly Func<string, FileStream> _open = open ?? RequestLogFiles.CreateNew;
    private readonly List<RequestLogRecord> _buffer = [];
    private long _buffered;
    private int _inFile;
    private DateTimeOffset _firstBuffered;
    private ParquetRequestLogLayout? _layout;
    private FileStream? _file;
    private BufferedStream? _stream;
    private ParquetWriter? _writer;
    private string? _openPath;
    private string? _finalPath;
    private long _sequence;

    /// <summary>
    /// How long a record may wait in memory or in the open file: when the channel empties after this,
    /// the file is closed, so that under low traffic a crash loses at most this much of the log.
    /// </summary>
    public static readonly TimeSpan MaxFileAge = TimeSpan.FromMinutes(5);

    // A row group is written once the buffered tensors pass a quarter of the rotation size (at most 8 MiB).
    private long RowGroupBytes => Math.Max(1, Math.Min(8L << 20, config.FileBytes / 4));

    /// <inheritdoc />
    public async ValueTask WriteAsync(RequestLogRecord record, CancellationToken cancellationToken)
    {
        if (_layout is not null && !_layout.Fits(record))
        {
            try
            {
                await CloseAsync(cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                // Taken all the same: AbandonAsync counts it with the open file's records.
                _buffer.Add(record);
                throw;
            }
        }

        _layout ??= ParquetRequestLogLayout.Of(record);
        if (_buffer.Count == 0 && _writer is null)
        {
            _firstBuffered = time.GetUtcNow();
        }

        _buffer.Add(record);
        _buffered += 64 + record.Inputs.Concat(record.Outputs).Sum(t => t.Data.Length + (t.Strings?.Sum(s => 4L + s.Length) ?? 0));
        if (_buffered >= RowGroupBytes)
        {
            await WriteRowGroupAsync(cancellationToken).ConfigureAwait(false);
            if (_stream!.Position >= config.FileBytes)
            {
                await CloseAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <inheritdoc />
    public long Stored { get; private set; }

    /// <inheritdoc />
    public ValueTask FlushAsync(CancellationToken cancellationToken)
        => (_buffer.Count > 0 || _writer is not null) && time.GetUtcNow() - _firstBuffered >= MaxFileAge
            ? CloseAsync(cancellationToken)
            : ValueTask.CompletedTask;

    /// <inheritdoc />
    public ValueTask DisposeAsync() => CloseAsync(CancellationToken.None);

    /// <inheritdoc />
    public ValueTask<int> AbandonAsync()
    {
        var lost = _inFile + _buffer.Count;
        _buffer.Clear();
        _buffered = 0;
        _inFile = 0;
        _layout = null;

        // The writer and its buffer would write again on dispose: they are dropped; the file is
        // unbuffered, so closing it writes nothing and cannot fail.
        _writer = null;
        _stream = null;
        _file?.Dispose();
        _file = null;
        if (_openPath is not null)
        {
            try
            {
                File.Delete(_openPath);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // The reader skips hidden open files; the next prune leaves it too.
            }

            _openPath = null;
        }

        return ValueTask.FromResult(lost);
    }

    private async ValueTask WriteRowGroupAsync(CancellationToken cancellationToken)
    {
        if (_buffer.Count == 0)
        {
            return;
        }

        if (_writer is null)
        {
            Directory.CreateDirectory(directory);
            RequestLogFiles.Prune(directory, config.MaxBytes, config.FileBytes);
            var name = RequestLogFiles.NewName(model, time.GetUtcNow(), _sequence++, RequestLogFormat.Parquet);
            _finalPath = Path.Combine(directory, name);
            _openPath = Path.Combine(directory, $".{name}.open");
            _file = _open(_openPath);
            _stream = new BufferedStream(_file, 64 * 1024);
            _writer = await ParquetWriter.CreateAsync(_layout!.Schema, _stream, cancellationToken: cancellationToken).ConfigureAwait(false);
            _writer.CustomMetadata = _layout.Metadata();
        }

        var rows = _buffer;
        var fields = _layout!.Schema.GetDataFields();
        using (var group = _writer.CreateRowGroup())
        {
            var f = 0;
            await group.WriteAsync<DateTime>(fields[f++], rows.Select(r => r.Timestamp.UtcDateTime).ToArray(), null, null, cancellationToken).ConfigureAwait(false);
            await group.WriteAsync(fields[f++], rows.Select(r => r.Model).ToArray(), null).ConfigureAwait(false);
            await group.WriteAsync<long>(fields[f++], rows.Select(r => r.Version).ToArray(), null, null, cancellationToken).ConfigureAwait(false);
            await group.WriteAsync(fields[f++], rows.Select(r => r.Endpoint).ToArray(), null).ConfigureAwait(false);
            await group.WriteAsync(fields[f++], rows.Select(r => r.Variant).ToArray(), null).ConfigureAwait(false);
            await group.WriteAsync(fields[f++], rows.Select(r => r.RoutingKey!).ToArray(), null).ConfigureAwait(false);
            await group.WriteAsync(fields[f++], rows.Select(r => r.RequestId!).ToArray(), null).ConfigureAwait(false);
            await group.WriteAsync<double>(fields[f++], rows.Select(r => r.LatencyMs).ToArray(), null, null, cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < _layout.Inputs.Count; i++)
            {
                f = await WriteTensorAsync(group, fields, f, rows.Select(r => r.Inputs[i])).ConfigureAwait(false);
            }

            for (var i = 0; i < _layout.Outputs.Count; i++)
            {
                f = await WriteTensorAsync(group, fields, f, rows.Select(r => r.Outputs[i])).ConfigureAwait(false);
            }

            group.CompleteValidate();
        }

        _inFile += _buffer.Count;
        Stored += _buffer.Count;
        _buffer.Clear();
        _buffered = 0;
    }

    private static async Task<int> WriteTensorAsync(ParquetRowGroupWriter group, DataField[] fields, int f, IEnumerable<Core.Tensors.Tensor> tensors)
    {
        var list = tensors.ToList();
        await group.WriteAsync(fields[f], list.Select(TensorBytes.Encode).ToArray(), null).ConfigureAwait(false);
        await group.WriteAsync(fields[f + 1], list.Select(t => TensorBytes.FormatShape(t.Shape)).ToArray(), null).ConfigureAwait(false);
        return f + 2;
    }

    private async ValueTask CloseAsync(CancellationToken cancellationToken)
    {
        await WriteRowGroupAsync(cancellationToken).ConfigureAwait(false);
        _layout = null;
        if (_writer is null)
        {
            return;
        }

        await _writer.DisposeAsync().ConfigureAwait(false);
        await _stream!.FlushAsync(cancellationToken).ConfigureAwait(false);
        await _file!.DisposeAsync().ConfigureAwait(false);
        _writer = null;
        _stream = null;
        _file = null;
        File.Move(_openPath!, _finalPath!);
        _openPath = null;
        _inFile = 0;
    }
}
