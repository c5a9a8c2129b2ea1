using System.Globalization;

namespace Usher.ControlPlane.Persistence.Postgres;

/// <summary>
/// A write of the rollout controller was refused, and rolled back, because the shared state's
/// controller term is not the one this replica leads under (<see cref="ControllerFence"/>): another
/// replica has taken the leadership since, or this one does not lead. Not a failure of the rollout:
/// the replica has lost the leadership and stops its controller; the new leader carries on from
/// what is stored.
/// </summary>
internal sealed class LeadershipLostException : InvalidOperationException
{
    /// <summary>Creates the exception for a write under <paramref name="writerTerm"/> (0: none) refused by <paramref name="storedTerm"/>.</summary>
    public LeadershipLostException(long writerTerm, long storedTerm)
        : base(Describe(writerTerm, storedTerm))
    {
        WriterTerm = writerTerm;
        StoredTerm = storedTerm;
    }

    /// <summary>Creates the exception (for serializers and analyzers; prefer the terms).</summary>
    public LeadershipLostException()
    {
    }

    /// <summary>Creates the exception (for serializers and analyzers; prefer the terms).</summary>
    public LeadershipLostException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception (for serializers and analyzers; prefer the terms).</summary>
    public LeadershipLostException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The term the refused write was made under: the term its work began under (<see cref="ControllerFence.WriterTerm"/>); 0 when this replica did not lead then.</summary>
    public long WriterTerm { get; }

    /// <summary>The controller term in the shared state when the write was refused.</summary>
    public long StoredTerm { get; }

    private static string Describe(long writerTerm, long storedTerm) => writerTerm == 0
        ? string.Create(CultureInfo.InvariantCulture, $"this replica does not lead the rollout controller (the shared state is at controller term {storedTerm}): its write was refused and rolled back; the leader makes rollout changes")
        : string.Create(CultureInfo.InvariantCulture, $"this replica no longer leads the rollout controller: it wrote under controller term {writerTerm}, but the shared state is at term {storedTerm} (a later leadership began: another replica's, or this one's own after it lost the lock): its write was refused and rolled back");
}
