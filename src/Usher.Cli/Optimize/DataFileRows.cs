using System.Buffers;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Threading.Channels;
using Parquet;
using Usher.Backends.Onnx.Distillation;
using Usher.Cli.Batch;
using Usher.Core.Models;
using Usher.Core.Tensors;

namespace Usher.Cli.Optimize;

/// <summary>
/// <c>--data FILE</c>: a CSV (with a header), JSONL or Parquet file read with <c>usher batch</c>'s
/// readers and column rules: the teacher's input <c>features</c> of width F comes from the columns
/// <c>features_0</c> ... <c>features_{F-1}</c> or a list column <c>features</c>. Other columns (a label) are ignored.
/// </summary>
internal sealed class DataFileRows(string path) : ITrainingRows
{
    private const int ChunkRows = 4096;

    /// <inheritdoc />
    public string Description => $"data file {Path.GetFileName(path)}";

    /// <inheritdoc />
    public async Task<TrainingRows?> ReadAsync(TeacherSignature teacher, List<string> problems, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(teacher);
        ArgumentNullException.ThrowIfNull(problems);
        var format = FileFormats.FromPath(path);
        if (format is null)
        {
            problems.Add(FileFormats.Refusal("--data", path));
            return null;
        }

        if (!File.Exists(path))
        {
            problems.Add($"--data: {Path.GetFullPath(path)} does not exist");
            return null;
        }

        IRowSource? source;
        try
        {
            source = format switch
            {
                FileFormat.Csv => CsvRowSource.Open(path),
                FileFormat.Jsonl => JsonlRowSource.Open(path, problems),
                _ => await ParquetRowSource.OpenAsync(path, cancellationToken).ConfigureAwait(false),
            };
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ParquetException or InvalidDataException or NotSupportedException)
        {
            problems.Add($"--data: cannot read {path} as {FileFormats.Extension(format.Value)} ({ex.Message})");
            return null;
        }

        if (source is null)
        {
            return null;
        }

        await using (source.ConfigureAwait(false))
        {
            var model = BatchModel.From("teacher", 1, ChunkRows, [new TensorSpec(teacher.Input, DataType.Fp32, [-1, teacher.Features])], [], 1, problems);
            var found = new List<string>();
            var mapping = model is null ? null : ColumnMapping.Resolve(model, source.Columns, new Dictionary<string, IReadOnlyList<string>>(), [], found);

            // The batch reader's advice names its --columns flag, which distill does not take.
            problems.AddRange(found.Select(p => "--data " + Path.GetFileName(path) + ": " + p.Replace($", or --columns {teacher.Input}=C1,C2,...", string.Empty, StringComparison.Ordinal)));
            if (mapping is null)
            {
                return null;
            }

            var rows = source.RowCount;
            if (rows < TrainingRows.MinRows || rows * teacher.Features > TrainingRows.MaxValues)
            {
                problems.Add(rows < TrainingRows.MinRows
                    ? $"--data {Path.GetFileName(path)}: {rows} rows; distillation needs at least {TrainingRows.MinRows} (thousands are better)"
                    : $"--data {Path.GetFileName(path)}: {rows:N0} rows x {teacher.Features} values is more than {TrainingRows.MaxValues:N0} values; pass a sample of at most {TrainingRows.MaxValues / teacher.Features:N0} rows");
                return null;
            }

            return await ReadRowsAsync(source, mapping, (int)rows, teacher.Features, problems, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<TrainingRows?> ReadRowsAsync(IRowSource source, ColumnMapping mapping, int rows, int width, List<string> problems, CancellationToken cancellationToken)
    {
        var features = new float[(long)rows * width];
        var channel = Channel.CreateBounded<RowChunk>(new BoundedChannelOptions(2) { SingleReader = true, SingleWriter = true });
        var producer = Task.Run(
            async () =>
            {
                try
                {
                    var chunks = new ChunkBuilder(0, ChunkRows, mapping, ArrayPool<byte>.Shared, channel.Writer);
                    await source.ReadAsync(0, rows, mapping, chunks, cancellationToken).ConfigureAwait(false);
                    channel.Writer.Complete();
                }
                catch (Exception ex)
                {
                    channel.Writer.Complete(ex);
                }
            },
            cancellationToken);

        var read = 0;
        string? error = null;
        await foreach (var chunk in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            for (var r = 0; r < chunk.Rows && error is null; r++)
            {
                if (chunk.Errors[r] is { } reason)
                {
                    error = string.Create(CultureInfo.InvariantCulture, $"--data {Path.GetFileName(path)}: data row {chunk.FirstRow + r + 1}: {reason}");
                    break;
                }

                // The teacher's input is FP32: the chunk holds the row's values as floats already.
                MemoryMarshal.Cast<byte, float>(chunk.Row(0, r)).CopyTo(features.AsSpan((int)((chunk.FirstRow + r) * width), width));

                read++;
            }

            chunk.ReturnValues();
        }

        await producer.ConfigureAwait(false);
        if (error is not null || read != rows)
        {
            problems.Add(error ?? $"--data {Path.GetFileName(path)}: expected {rows} rows, read {read}");
            return null;
        }

        return new TrainingRows(features, rows);
    }
}
