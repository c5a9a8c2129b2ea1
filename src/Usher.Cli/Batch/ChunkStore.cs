using System.Globalization;
using System.IO.Hashing;
using System.Text.Json;

namespace Usher.Cli.Batch;

/// <summary>
/// The state of a run, in a folder beside the output (<c>OUTPUT.usher-batch/</c>): one output part
/// and one errors part per committed chunk and the manifest. A chunk is committed by writing each
/// part to a temporary file, flushing it to disk and renaming it into place, then rewriting the
/// manifest the same way: a process killed at any moment leaves either the old manifest or the
/// new one, and parts that the manifest names are complete. At the end the parts are joined into
/// the output and the folder is removed.
/// </summary>
internal sealed class ChunkStore
{
    private const string ManifestName = "manifest.json";
    private readonly string _partExtension;
    private readonly List<ChunkRecord> _chunks = [];
    private BatchManifest _manifest;

    private ChunkStore(string directory, string partExtension, BatchManifest manifest)
    {
        Directory = directory;
        _partExtension = partExtension;
        _manifest = manifest;
    }

    /// <summary>The state folder.</summary>
    public string Directory { get; }

    /// <summary>The committed chunks, in order.</summary>
    public IReadOnlyList<ChunkRecord> Chunks => _chunks;

    /// <summary>The state folder of <paramref name="output"/>.</summary>
    public static string DirectoryFor(string output) => output + ".usher-batch";

    /// <summary>
    /// Opens the state for <paramref name="identity"/>. With <paramref name="resume"/>, the chunks
    /// that an earlier run committed for the same input and settings are kept, as far as their
    /// parts are intact; anything else is discarded. Null with the reason when an earlier run's
    /// state is for another input or other settings.
    /// </summary>
    public static ChunkStore? Open(string output, string partExtension, BatchManifest identity, bool resume, out string? problem)
    {
        problem = null;
        var directory = DirectoryFor(output);
        var store = new ChunkStore(directory, partExtension, identity);
        var manifestPath = Path.Combine(directory, ManifestName);
        if (resume && File.Exists(manifestPath))
        {
            var earlier = JsonSerializer.Deserialize(File.ReadAllBytes(manifestPath), BatchJsonContext.Default.BatchManifest);
            if (earlier is not null)
            {
                if (earlier.FormatVersion != BatchManifest.CurrentFormatVersion)
                {
                    // Resuming would score every chunk again without a word (the checksums it records are not
                    // ones this build computes), or, were they trusted unchecked, keep parts that may be torn.
                    problem = $"--resume: {manifestPath} is manifest format {earlier.FormatVersion}, written by another version of usher batch "
                        + $"(format 1: SHA-256 chunk checksums, which this build does not verify); this build reads and writes format {BatchManifest.CurrentFormatVersion}. "
                        + "Finish the run with the build that started it, or run without --resume to score every chunk again.";
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

                foreach (var chunk in earlier.Chunks)
                {
                    if (chunk.Index != store._chunks.Count || !store.Intact(chunk))
                    {
                        break;
                    }

                    store._chunks.Add(chunk);
                }
            }
        }
        else if (System.IO.Directory.Exists(directory))
        {
            System.IO.Directory.Delete(directory, recursive: true);
        }

        System.IO.Directory.CreateDirectory(directory);
        foreach (var stale in System.IO.Directory.EnumerateFiles(directory, "*.tmp"))
        {
            File.Delete(stale);
        }

        return store;
    }

    /// <summary>The output part of chunk <paramref name="index"/>.</summary>
    public string OutputPart(long index) => Path.Combine(Directory, "part-" + index.ToString("D6", CultureInfo.InvariantCulture) + _partExtension);

    /// <summary>The errors part of chunk <paramref name="index"/>.</summary>
    public string ErrorsPart(long index) => Path.Combine(Directory, "errors-" + index.ToString("D6", CultureInfo.InvariantCulture) + ".csv");

    /// <summary>Commits chunk <paramref name="index"/>: both parts, then the manifest.</summary>
    public ChunkRecord Commit(long index, long firstRow, int rows, int errors, ReadOnlySpan<byte> output, ReadOnlySpan<byte> errorLines)
    {
        WriteDurably(ErrorsPart(index), errorLines);
        WriteDurably(OutputPart(index), output);
        var record = new ChunkRecord(index, firstRow, rows, errors, Checksum(output), Checksum(errorLines));
        _chunks.Add(record);
        _manifest = _manifest with { Chunks = [.. _chunks] };
        WriteDurably(Path.Combine(Directory, ManifestName), JsonSerializer.SerializeToUtf8Bytes(_manifest, BatchJsonContext.Default.BatchManifest));
        return record;
    }

    /// <summary>Removes the state folder once the output is in place.</summary>
    public void Delete() => System.IO.Directory.Delete(Directory, recursive: true);

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

    private bool Intact(ChunkRecord chunk)
        => Matches(OutputPart(chunk.Index), chunk.OutputChecksum) && Matches(ErrorsPart(chunk.Index), chunk.ErrorsChecksum);

    // XXH128 rather than SHA-256: the checksum guards against a torn or truncated part, not against
    // tampering, and on a part of mlp-large (4 KiB of output per row) SHA-256 was about 2 µs of CPU per row.
    private static string Checksum(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(XxHash128.Hash(bytes));

    private static bool Matches(string path, string? checksum)
    {
        if (checksum is null || !File.Exists(path))
        {
            return false;
        }

        var hash = new XxHash128();
        using (var stream = File.OpenRead(path))
        {
            hash.Append(stream);
        }

        return Convert.ToHexStringLower(hash.GetCurrentHash()) == checksum;
    }
}
