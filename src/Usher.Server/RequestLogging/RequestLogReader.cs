using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using Parquet;
using Usher.Core.Tensors;

namespace Usher.Server.RequestLogging;

/// <summary>
/// Reads a request log folder back (what <c>logging:</c> in <c>config.yaml</c> wrote): every closed
/// <c>.jsonl</c> and <c>.parquet</c> file, oldest first, one <see cref="RequestLogEntry"/> per logged
/// request with its input and output tensors. The open Parquet file (hidden) is skipped; a torn last
/// line of a JSONL file (a crash while writing) is skipped too.
/// </summary>
/// <remarks>
/// The calling convention for tools (<c>usher optimize quantize --from-log</c>, distillation):
/// <code>
/// if (!RequestLogReader.TryOpen(dir, model, out var reader, out var problem)) { /* report problem */ }
/// var entries = await reader.ReadAllAsync(maxEntries, ct);   // or: await foreach (var e in reader.ReadAsync(ct))
/// // entries[i].InputFloats()["features"] : float[] row-major; entries[i].Inputs[k].Shape; entries[i].OutputFloats()
/// </code>
/// </remarks>
internal sealed class RequestLogReader
{
    private readonly IReadOnlyList<FileInfo> _files;

    private RequestLogReader(string directory, string? model, IReadOnlyList<FileInfo> files)
    {
        Directory = directory;
        Model = model;
        _files = files;
    }

    /// <summary>The folder read.</summary>
    public string Directory { get; }

    /// <summary>The model whose requests are read; null: every model's.</summary>
    public string? Model { get; }

    /// <summary>The log files read, oldest first.</summary>
    public IReadOnlyList<string> Files => [.. _files.Select(f => f.FullName)];

    /// <summary>
    /// Opens <paramref name="directory"/>; false, with a problem that says what was expected, when it
    /// does not exist or holds no request log files.
    /// </summary>
    public static bool TryOpen(string directory, string? model, [NotNullWhen(true)] out RequestLogReader? reader, [NotNullWhen(false)] out string? problem)
    {
        ArgumentNullException.ThrowIfNull(directory);
        reader = null;
        problem = null;
        if (!System.IO.Directory.Exists(directory))
        {
            problem = $"{directory} does not exist (expected the folder that a model's 'logging: path' writes)";
            return false;
        }

        var files = RequestLogFiles.Closed(directory);
        if (files.Count == 0)
        {
            var others = new DirectoryInfo(directory).EnumerateFiles().Where(f => !f.Name.StartsWith('.')).Select(f => f.Name).Order(StringComparer.Ordinal).Take(5).ToList();
            problem = others.Count == 0
                ? $"{directory} holds no request log: no .jsonl or .parquet files (requests are written by a model's 'logging:' section in config.yaml; a Parquet file appears once it is closed)"
                : $"{directory} holds no request log files (.jsonl or .parquet written by 'logging:' in config.yaml); found {string.Join(", ", others)}";
            return false;
        }

        reader = new RequestLogReader(Path.GetFullPath(directory), model, files);
        return true;
    }

    /// <summary>
    /// Reads up to <paramref name="maxEntries"/> entries, oldest first; throws
    /// <see cref="InvalidDataException"/> naming the file when there are none of <see cref="Model"/>
    /// or a file is not a request log.
    /// </summary>
    public async Task<IReadOnlyList<RequestLogEntry>> ReadAllAsync(int maxEntries, CancellationToken cancellationToken)
    {
        var entries = new List<RequestLogEntry>();
        await foreach (var entry in ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            if (entries.Count >= maxEntries)
            {
                break;
            }

            entries.Add(entry);
        }

        if (entries.Count == 0)
        {
            throw new InvalidDataException(Model is null
                ? $"{Directory} holds no logged requests ({_files.Count} files, all empty)"
                : $"{Directory} holds no logged requests of model '{Model}' ({_files.Count} files read)");
        }

        return entries;
    }

    /// <summary>The entries of <see cref="Model"/>, oldest first; <see cref="InvalidDataException"/> names a file that is not a request log.</summary>
    public async IAsyncEnumerable<RequestLogEntry> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var file in _files)
        {
            var entries = file.Extension == ".parquet" ? ReadParquetAsync(file.FullName, cancellationToken) : ReadJsonlAsync(file.FullName, cancellationToken);
            await foreach (var entry in entries.ConfigureAwait(false))
            {
                if (Model is null || entry.Model == Model)
                {
                    yield return entry;
                }
            }
        }
    }

    private static async IAsyncEnumerable<RequestLogEntry> ReadJsonlAsync(string path, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var lines = await File.ReadAllLinesAsync(path, cancellationToken).ConfigureAwait(false);
        var text = await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false);
        var torn = text.Length > 0 && text[^1] != '\n';
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i].Length == 0 || (torn && i == lines.Length - 1))
            {
                continue;
            }

            RequestLogEntry entry;
            try
            {
                entry = RequestLogJson.Read(lines[i]);
            }
            catch (InvalidDataException ex)
            {
                throw new InvalidDataException($"{path} line {i + 1}: {ex.Message}", ex);
            }

            yield return entry;
        }
    }

    private static async IAsyncEnumerable<RequestLogEntry> ReadParquetAsync(string path, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ParquetReader reader;
        ParquetRequestLogLayout layout;
        try
        {
            reader = await ParquetReader.CreateAsync(path, cancellationToken: cancellationToken).ConfigureAwait(false);
            layout = ParquetRequestLogLayout.FromMetadata(reader.CustomMetadata);
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or InvalidOperationException or NotSupportedException)
        {
            throw new InvalidDataException($"{path}: not a request log: {ex.Message}", ex);
        }

        await using (reader.ConfigureAwait(false))
        {
            var fields = reader.Schema.GetDataFields();
            for (var g = 0; g < reader.RowGroupCount; g++)
            {
                using var group = reader.OpenRowGroupReader(g);
                var rows = checked((int)group.RowCount);
                var f = 0;
                var timestamps = await ReadValuesAsync<DateTime>(group, fields[f++], rows, cancellationToken).ConfigureAwait(false);
                var models = await ReadTextAsync(group, fields[f++], rows, cancellationToken).ConfigureAwait(false);
                var versions = await ReadValuesAsync<long>(group, fields[f++], rows, cancellationToken).ConfigureAwait(false);
                var endpoints = await ReadTextAsync(group, fields[f++], rows, cancellationToken).ConfigureAwait(false);
                var variants = await ReadTextAsync(group, fields[f++], rows, cancellationToken).ConfigureAwait(false);
                var keys = await ReadTextAsync(group, fields[f++], rows, cancellationToken).ConfigureAwait(false);
                var ids = await ReadTextAsync(group, fields[f++], rows, cancellationToken).ConfigureAwait(false);
                var latencies = await ReadValuesAsync<double>(group, fields[f++], rows, cancellationToken).ConfigureAwait(false);
                var inputs = new List<Tensor[]>();
                foreach (var (name, type) in layout.Inputs)
                {
                    inputs.Add(await ReadTensorsAsync(group, fields, f, name, type, rows, path, cancellationToken).ConfigureAwait(false));
                    f += 2;
                }

                var outputs = new List<Tensor[]>();
                foreach (var (name, type) in layout.Outputs)
                {
                    outputs.Add(await ReadTensorsAsync(group, fields, f, name, type, rows, path, cancellationToken).ConfigureAwait(false));
                    f += 2;
                }

                for (var r = 0; r < rows; r++)
                {
                    yield return new RequestLogEntry(
                        new DateTimeOffset(DateTime.SpecifyKind(timestamps[r], DateTimeKind.Utc)),
                        models[r] ?? "",
                        versions[r],
                        endpoints[r] ?? "",
                        variants[r] ?? "",
                        keys[r],
                        ids[r],
                        latencies[r],
                        [.. inputs.Select(column => column[r])],
                        [.. outputs.Select(column => column[r])]);
                }
            }
        }
    }

    private static async Task<T[]> ReadValuesAsync<T>(ParquetRowGroupReader group, Parquet.Schema.DataField field, int rows, CancellationToken cancellationToken)
        where T : struct
    {
        var values = new T[rows];
        await group.ReadAsync(field, values.AsMemory(), null, cancellationToken).ConfigureAwait(false);
        return values;
    }

    private static async Task<string?[]> ReadTextAsync(ParquetRowGroupReader group, Parquet.Schema.DataField field, int rows, CancellationToken cancellationToken)
    {
        var values = new string?[rows];
        await group.ReadAsync(field, values.AsMemory()!, null, cancellationToken).ConfigureAwait(false);
        return values;
    }

    private static async Task<Tensor[]> ReadTensorsAsync(ParquetRowGroupReader group, Parquet.Schema.DataField[] fields, int f, string name, DataType type, int rows, string path, CancellationToken cancellationToken)
    {
        var data = new byte[]?[rows];
        await group.ReadAsync(fields[f], data.AsMemory(), null, cancellationToken).ConfigureAwait(false);
        var shapes = await ReadTextAsync(group, fields[f + 1], rows, cancellationToken).ConfigureAwait(false);
        var tensors = new Tensor[rows];
        for (var r = 0; r < rows; r++)
        {
            try
            {
                tensors[r] = TensorBytes.Decode(name, type, TensorBytes.ParseShape(shapes[r]), data[r] ?? []);
            }
            catch (InvalidDataException ex)
            {
                throw new InvalidDataException($"{path}: {ex.Message}", ex);
            }
        }

        return tensors;
    }
}
