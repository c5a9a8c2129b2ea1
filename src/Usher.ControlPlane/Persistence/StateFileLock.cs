using System.Globalization;

namespace Usher.ControlPlane.Persistence;

/// <summary>
/// An operating-system lock on a state file, held for the life of the server that uses it:
/// <c>FILE.lock</c> is opened exclusively (the lock goes with the process, even on a crash), and
/// <c>FILE.owner</c> says which process holds it, so that a second server can name it.
/// </summary>
internal sealed class StateFileLock : IDisposable
{
    private readonly FileStream _lock;
    private readonly string _ownerPath;

    private StateFileLock(FileStream handle, string ownerPath)
    {
        _lock = handle;
        _ownerPath = ownerPath;
    }

    /// <summary>Takes the lock on <paramref name="statePath"/>, or throws naming the process that holds it.</summary>
    /// <exception cref="StateStoreException">Another process holds the lock, or the folder is not writable.</exception>
    public static StateFileLock Acquire(string statePath)
    {
        var lockPath = statePath + ".lock";
        var ownerPath = statePath + ".owner";
        FileStream handle;
        try
        {
            // FileShare.None takes an exclusive advisory lock (flock on Unix), released when the handle closes.
            handle = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new StateStoreException($"cannot lock the state file {statePath}: {e.Message}; the state folder must be writable (pass --data-dir with a writable folder)", e);
        }
        catch (IOException e)
        {
            var owner = ReadOwner(ownerPath);
            throw new StateStoreException(
                $"the state file {statePath} is in use by another Usher server ({owner ?? "process unknown"}); stop that server, or pass --data-dir with another folder to run a second one",
                e);
        }

        var me = $"pid {Environment.ProcessId} on {Environment.MachineName}, started {DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture)}";
        try
        {
            handle.SetLength(0);
            using (var writer = new StreamWriter(handle, leaveOpen: true))
            {
                writer.WriteLine(me);
            }

            File.WriteAllText(ownerPath, me + Environment.NewLine);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            handle.Dispose();
            throw new StateStoreException($"cannot write beside the state file {statePath}: {e.Message}; the state folder must be writable (pass --data-dir with a writable folder)", e);
        }

        return new StateFileLock(handle, ownerPath);
    }

    public void Dispose()
    {
        try
        {
            File.Delete(_ownerPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The lock goes with the handle; a stale owner file is overwritten by the next server.
        }

        _lock.Dispose();
    }

    private static string? ReadOwner(string ownerPath)
    {
        try
        {
            return File.Exists(ownerPath) ? File.ReadAllText(ownerPath).Trim() : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
