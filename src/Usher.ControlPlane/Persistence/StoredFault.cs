using System.Data.Common;
using Usher.Core.Routing;

namespace Usher.ControlPlane.Persistence;

/// <summary>
/// A fault in the state store (<see cref="IFaultStore"/>): the variant it applies to, the fault, when
/// and by whom it was set, and the replica it is scoped to. It also says how both stores lay it out in
/// the <c>faults</c> table (keyed by variant and replica); each store says only how it writes and reads
/// a timestamp.
/// </summary>
/// <param name="Variant">The variant (<c>fraud:2</c>).</param>
/// <param name="Fault">What is injected.</param>
/// <param name="SetAt">When it was set.</param>
/// <param name="SetBy">Who set it (the admin token's name, or <c>operator</c>).</param>
/// <param name="Replica">The id of the one replica that applies it (as the registry has it), or <see cref="EveryReplica"/>.</param>
internal sealed record StoredFault(string Variant, FaultSpec Fault, DateTimeOffset SetAt, string SetBy, string Replica = StoredFault.EveryReplica)
{
    /// <summary>The <see cref="Replica"/> of a fault that every replica applies (the only kind a state file holds).</summary>
    public const string EveryReplica = "";

    /// <summary>The columns <see cref="Read"/> reads, in its order.</summary>
    public const string Columns = "variant, replica, abort_fraction, abort_status, delay_ms, delay_fraction, set_at, set_by";

    /// <summary>The insert-or-replace of a fault, its parameters named after the columns with <paramref name="marker"/> (<c>$</c> or <c>@</c>) before them.</summary>
    public static string Upsert(char marker)
    {
        var columns = Columns.Split(", ");
        return $"INSERT INTO faults({Columns}) VALUES ({string.Join(", ", columns.Select(c => marker + c))}) "
            + $"ON CONFLICT (variant, replica) DO UPDATE SET {string.Join(", ", columns.Skip(2).Select(c => $"{c} = excluded.{c}"))}";
    }

    /// <summary>
    /// The faults a replica applies, one per variant: every replica's, and its own (<paramref name="replica"/>),
    /// which win over every replica's on the same variant. A replica without an id
    /// (<see cref="EveryReplica"/>: one machine) applies every replica's only.
    /// </summary>
    public static IReadOnlyList<StoredFault> AppliedBy(IEnumerable<StoredFault> faults, string replica)
        => [.. faults
            .Where(f => f.Replica == EveryReplica || f.Replica == replica)
            .GroupBy(f => f.Variant, StringComparer.Ordinal)
            .Select(g => g.FirstOrDefault(f => f.Replica != EveryReplica) ?? g.First())];

    /// <summary>The values of the columns by name, the timestamp as <paramref name="time"/> gives it.</summary>
    public IEnumerable<(string Column, object Value)> Values(Func<DateTimeOffset, object> time)
    {
        ArgumentNullException.ThrowIfNull(time);
        yield return ("variant", Variant);
        yield return ("replica", Replica);
        yield return ("abort_fraction", Fault.AbortFraction);
        yield return ("abort_status", Fault.AbortStatus);
        yield return ("delay_ms", Fault.DelayMs);
        yield return ("delay_fraction", Fault.DelayFraction);
        yield return ("set_at", time(SetAt));
        yield return ("set_by", SetBy);
    }

    /// <summary>Reads a row of <see cref="Columns"/>, the timestamp with <paramref name="time"/>.</summary>
    public static StoredFault Read(DbDataReader reader, Func<DbDataReader, int, DateTimeOffset> time)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(time);
        return new StoredFault(
            reader.GetString(0),
            new FaultSpec(reader.GetDouble(2), reader.GetInt32(3), reader.GetDouble(4), reader.GetDouble(5)),
            time(reader, 6),
            reader.GetString(7),
            reader.GetString(1));
    }
}
