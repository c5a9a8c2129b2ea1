using System.Globalization;
using System.IO.Hashing;
using System.Text.Json;

namespace Usher.Cli.Batch;

/// <summary>
/// The state of a run, in a folder beside the output (<c>OUTPUT.usher-batch/</c>): the output file being
/// written (<c>output.EXT</c>: the format's start, then each committed chunk's rows appended), the errors
/// file's lines (<c>errors.csv</c>, appended the same way) and the manifest (<c>manifest.jsonl</c>): a first
/// line with the input's identity and the job's settings, then one line per committed chunk with both
/// files' lengths after it and its bytes' checksums. A chunk is committed by appending its bytes to both
/// files and flushing them to disk, then appending its line to the manifest and flushing that: a process
/// killed at any moment leaves a manifest whose complete lines name bytes that are on disk, and perhaps
/// bytes after them that no line names, which a resumed run cuts off. At the end the format's trailer is
/// appended, the output file is renamed into place, and the folder is removed: every output byte is
/// written once.
/// </summary>
internal sealed class ChunkStore : IDisposable
{
    private const string ManifestName = "manifest.jsonl";
    private const string EarlierManifestName = "manifest.json";
    private readonly List<ChunkRecord> _chunks;
    private readonly FileStream _output;
    private readonly FileStream _errors;
    private readonly FileStream _manifest;
    private readonly int _outputStart;
    private long _outputEnd;
    private long _errorsEnd;

    private ChunkStore(string directory, string outputPath, string errorsPath, int outputStart, List<ChunkRecord> chunks, FileStream output, FileStream errors, FileStream manifest)
    {
        Directory = directory;
        OutputPath = outputPath;
        ErrorsPath = errorsPath;
        _outputStart = outputStart;
        _chunks = chunks;
        _output = output;
        _errors = errors;
        _manifest = manifest;
        _outputEnd = chunks.Count == 0 ? outputStart : chunks[^1].OutputEnd;
        _errorsEnd = chunks.Count == 0 ? 0 : chunks[^1].ErrorsEnd;
    }

    /// <summary>The state folder.</summary>
    public string Directory { get; }

    /// <summary>The output file being written, renamed to the output by <see cref="FinishAsync"/>.</summary>
    public string OutputPath { get; }

    /// <summary>The committed chunks' errors lines, without the header.</summary>
    public string ErrorsPath { get; }

    /// <summary>The committed chunks, in order.</summary>
    public IReadOnlyList<ChunkRecord> Chunks => _chunks;

    /// <summary>The state folder of <paramref name="output"/>.</summary>
    public static string DirectoryFor(string output) => output + ".usher-batch";

    /// <summary>
    /// Opens the state for <paramref name="identity"/>; the output file starts with <paramref name="start"/>.
    /// With <paramref name="resume"/>, the chunks that an earlier run committed for the same input and settings
    /// are kept, as far as their bytes are intact, and both files are cut to the last of them; anything else is
    /// discarded. Null with the reason when an earlier run's state is for another input or other settings, or
    /// of another manifest format.
    /// </summary>
    public static ChunkStore? Open(string output, string extension, ReadOnlySpan<byte> start, BatchManifest identity, bool resume, out string? problem)
    {
        problem = null;
        var directory = DirectoryFor(output);
        var manifestPath = Path.Combine(directory, ManifestName);
        var outputPath = Path.Combine(directory, "output" + extension);
        var errorsPath = Path.Combine(directory, "errors.csv");
        var kept = new List<ChunkRecord>();
        var earlierState = false;
        if (resume && File.Exists(Path.Combine(directory, EarlierManifestName)))
        {
            var earlier = Path.Combine(directory, EarlierManifestName);
            problem = OtherFormat(earlier, FormatOf(earlier));
            return null;
        }

        if (resume && File.Exists(manifestPath))
        {
            var (earlier, records) = ReadManifest(manifestPath);
            if (earlier is not null)
            {
                if (earlier.FormatVersion != BatchManifest.CurrentFormatVersion)
                {
                    problem = OtherFormat(manifestPath, earlier.FormatVersion);
                    return null;
                }

                if (earlier.Input != identity.Input || earlier.InputBytes != identity.InputBytes || earlier.InputModifiedUtc != identity.InputModifiedUtc)
                {
                    problem = $"--resume: the earlier run read {earlier.Input} ({earlier.InputBytes} bytes, modified {earlier.InputModifiedUtc:O}); "
                        + $"the input is now {identity.Input} ({identity.InputBytes} bytes, modified {identity.InputModifiedUtc:O}). Run without --resume to start over.";
                    return null;
                }

                if (earlier.Job != identity.Job)
                {
                    problem = $"--resume: the earlier run used other settings ({earlier.Job}); now: {identity.Job}. Pass the same flags (and --version) to resume, or run without --resume to start over.";
                    return null;
                }

                earlierState = true;
                kept = Intact(records, start, outputPath, errorsPath);
            }
        }

        if (!earlierState && System.IO.Directory.Exists(directory))
        {
            System.IO.Directory.Delete(directory, recursive: true);
        }

        System.IO.Directory.CreateDirectory(directory);
        foreach (var stale in System.IO.Directory.EnumerateFiles(directory, "*.tmp"))
        {
            File.Delete(stale);
        }

        // Unbuffered: a chunk's bytes go to the file in the commit's own writes, not through a copy.
        var outputFile = new FileStream(outputPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read, bufferSize: 0);
        var errorsFile = new FileStream(errorsPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read, bufferSize: 0);
        if (kept.Count == 0)
        {
            outputFile.SetLength(0);
            outputFile.Write(start);
            errorsFile.SetLength(0);
        }
        else
        {
            // Whatever follows the last intact chunk (bytes a killed run wrote before its manifest line) goes.
            outputFile.SetLength(kept[^1].OutputEnd);
            errorsFile.SetLength(kept[^1].ErrorsEnd);
        }

        outputFile.Position = outputFile.Length;
        errorsFile.Position = errorsFile.Length;
        outputFile.Flush(flushToDisk: true);
        errorsFile.Flush(flushToDisk: true);

        // The manifest as far as it stays true (no torn last line, no chunk that was cut off), replaced whole once.
        using (var lines = new MemoryStream())
        {
            AppendLine(lines, JsonSerializer.SerializeToUtf8Bytes(identity, BatchJsonContext.Default.BatchManifest));
            foreach (var chunk in kept)
            {
                AppendLine(lines, JsonSerializer.SerializeToUtf8Bytes(chunk, BatchJsonContext.Default.ChunkRecord));
            }

            WriteDurably(manifestPath, lines.GetBuffer().AsSpan(0, (int)lines.Length));
        }

        var manifest = new FileStream(manifestPath, FileMode.Append, FileAccess.Write, FileShare.Read, bufferSize: 0);
        return new ChunkStore(directory, outputPath, errorsPath, start.Length, kept, outputFile, errorsFile, manifest);
    }

    /// <summary>
    /// Commits chunk <paramref name="index"/>: appends <paramref name="output"/> (its rows in the output's format)
    /// and <paramref name="errorLines"/>, flushes both to disk, then appends its manifest line (with
    /// <paramref name="trailer"/>, what the output's end needs of it) and flushes that.
    /// </summary>
    public ChunkRecord Commit(long index, long firstRow, int rows, int errors, ReadOnlySpan<byte> output, ReadOnlySpan<byte> trailer, ReadOnlySpan<byte> errorLines)
    {
        if (index != _chunks.Count)
        {
            throw new InvalidOperationException($"chunk {index} committed after {_chunks.Count} chunks; chunks are committed in order");
        }

        _output.Write(output);
        _output.Flush(flushToDisk: true);

        // On disk now, and not read again by this run: the next chunks' writes reuse its cached pages.
        PageCache.Drop(_output.SafeFileHandle, _outputEnd, output.Length);
        if (!errorLines.IsEmpty)
        {
            _errors.Write(errorLines);
            _errors.Flush(flushToDisk: true);
        }

        var record = new ChunkRecord(
            index, firstRow, rows, errors, _outputEnd + output.Length, Checksum(output), _errorsEnd + errorLines.Length, Checksum(errorLines), trailer.IsEmpty ? null : trailer.ToArray());
        var json = JsonSerializer.SerializeToUtf8Bytes(record, BatchJsonContext.Default.ChunkRecord);
        var line = new byte[json.Length + 1];
        json.CopyTo(line, 0);
        line[^1] = (byte)'\n';
        _manifest.Write(line);
        _manifest.Flush(flushToDisk: true);
        _outputEnd = record.OutputEnd;
        _errorsEnd = record.ErrorsEnd;
        _chunks.Add(record);
        return record;
    }

    /// <summary>
    /// Appends what follows the last chunk (<see cref="IOutputFormat.FinishAsync"/>), flushes the output file to
    /// disk and renames it to <paramref name="output"/>. A failure leaves the committed chunks for <c>--resume</c>.
    /// </summary>
    public async Task FinishAsync(IOutputFormat format, string output, CancellationToken cancellationToken)
    {
        var chunks = new List<(byte[] Trailer, long Offset)>(_chunks.Count);
        var offset = (long)_outputStart;
        foreach (var chunk in _chunks)
        {
            chunks.Add((chunk.Trailer ?? [], offset));
            offset = chunk.OutputEnd;
        }

        _output.Position = _outputEnd;
        await format.FinishAsync(_output, chunks, cancellationToken).ConfigureAwait(false);
        _output.Flush(flushToDisk: true);
        _output.Dispose();
        File.Move(OutputPath, output, overwrite: true);
    }

    /// <summary>Removes the state folder once the output is in place.</summary>
    public void Delete()
    {
        Dispose();
        System.IO.Directory.Delete(Directory, recursive: true);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _output.Dispose();
        _errors.Dispose();
        _manifest.Dispose();
    }

    /// <summary>Writes <paramref name="bytes"/> to <paramref name="path"/> through a flushed temporary file and a rename.</summary>
    public static void WriteDurably(string path, ReadOnlySpan<byte> bytes)
    {
        var temporary = path + ".tmp";
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
        {
            stream.Write(bytes);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, path, overwrite: true);
    }

    private static string OtherFormat(string path, int format)
        => $"--resume: {path} is manifest format {format.ToString(CultureInfo.InvariantCulture)}, written by another version of usher batch "
            + "(formats 1 and 2 kept a part file per chunk, format 1 with SHA-256 checksums), which this build does not read; "
            + $"this build reads and writes format {BatchManifest.CurrentFormatVersion}. "
            + "Finish the run with the build that started it, or run without --resume to score every chunk again.";

    // The format an earlier build's manifest.json records (1 where it records none).
    private static int FormatOf(string path)
    {
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            return document.RootElement.TryGetProperty("format_version", out var version) && version.TryGetInt32(out var number) ? number : 1;
        }
        catch (JsonException)
        {
            return 1;
        }
    }

    // The manifest's first line and its chunk lines, up to the first that is torn (no newline) or does not parse.
    private static (BatchManifest? Identity, List<ChunkRecord> Chunks) ReadManifest(string path)
    {
        var bytes = File.ReadAllBytes(path).AsSpan();
        BatchManifest? identity = null;
        var chunks = new List<ChunkRecord>();
        try
        {
            for (var end = bytes.IndexOf((byte)'\n'); end >= 0; end = bytes.IndexOf((byte)'\n'))
            {
                var line = bytes[..end];
                bytes = bytes[(end + 1)..];
                if (identity is null)
                {
                    identity = JsonSerializer.Deserialize(line, BatchJsonContext.Default.BatchManifest);
                    if (identity is null)
                    {
                        break;
                    }

                    continue;
                }

                if (JsonSerializer.Deserialize(line, BatchJsonContext.Default.ChunkRecord) is not { OutputChecksum: not null, ErrorsChecksum: not null } chunk)
                {
                    break;
                }

                chunks.Add(chunk);
            }
        }
        catch (JsonException)
        {
            // A line that does not parse ends what the manifest says.
        }

        return (identity, chunks);
    }

    // The chunks from chunk 0 whose bytes in both files are the ones their lines name.
    private static List<ChunkRecord> Intact(List<ChunkRecord> records, ReadOnlySpan<byte> start, string outputPath, string errorsPath)
    {
        var kept = new List<ChunkRecord>();
        if (!File.Exists(outputPath) || !File.Exists(errorsPath))
        {
            return kept;
        }

        using var output = new FileStream(outputPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        using var errors = new FileStream(errorsPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        var first = new byte[start.Length];
        if (output.Length < first.Length || output.Read(first) != first.Length || !first.AsSpan().SequenceEqual(start))
        {
            return kept;
        }

        var buffer = new byte[1 << 20];
        long outputAt = start.Length;
        long errorsAt = 0;
        foreach (var chunk in records)
        {
            if (chunk.Index != kept.Count
                || !Matches(output, outputAt, chunk.OutputEnd, chunk.OutputChecksum, buffer)
                || !Matches(errors, errorsAt, chunk.ErrorsEnd, chunk.ErrorsChecksum, buffer))
            {
                break;
            }

            kept.Add(chunk);
            outputAt = chunk.OutputEnd;
            errorsAt = chunk.ErrorsEnd;
        }

        return kept;
    }

    private static bool Matches(FileStream file, long from, long to, string checksum, byte[] buffer)
    {
        if (to < from || file.Length < to)
        {
            return false;
        }

        var hash = new XxHash128();
        file.Position = from;
        for (var left = to - from; left > 0;)
        {
            var read = file.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
            if (read == 0)
            {
                return false;
            }

            hash.Append(buffer.AsSpan(0, read));
            left -= read;
        }

        return Convert.ToHexStringLower(hash.GetCurrentHash()) == checksum;
    }

    private static void AppendLine(MemoryStream lines, byte[] json)
    {
        lines.Write(json);
        lines.WriteByte((byte)'\n');
    }

    // XXH128 rather than SHA-256: the checksum guards against a torn or truncated chunk, not against
    // tampering, and on a chunk of mlp-large (4 KiB of output per row) SHA-256 was about 2 µs of CPU per row.
    private static string Checksum(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(XxHash128.Hash(bytes));
}
