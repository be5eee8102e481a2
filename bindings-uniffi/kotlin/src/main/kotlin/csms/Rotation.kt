package csms

/**
 * Rotates the secret [secretName] in one call (issue 17), the rotation guide's flow made
 * crash-safe: resumes a rotation an earlier run left half way (`resumed = true`), else stores a
 * new value as `SYSPENDING` before touching the target ([generate]'s password, else CSMS's
 * `GenerateRandomPassword`; for `alternating-users`, the same JSON with the other user's name),
 * has [apply] make the target accept it (`apply(newValue, previousValue)`; must be idempotent: after
 * a crash it runs again with the same value), then [test] it when given (false or a throw stops
 * here: `SYSCURRENT` unchanged, `SYSPENDING` kept for the next run), then moves `SYSCURRENT` to it
 * (the old version becomes `SYSPREVIOUS`) and removes `SYSPENDING`. For the secret types CSMS
 * rotates itself (RDS-FG, GaussDB-FG), `RotateSecret` and a wait for its task instead.
 *
 * [strategy]: `single-user` or `alternating-users` (the value a JSON object with `username` and
 * `password`; the account not current gets the new password). A callback that throws, a refused
 * test, or a rotation already in progress elsewhere: `CsmsException.Rotation(step, reason)`; a
 * CSMS call that fails: its own `Api` or `Transport` error. The state machine is the core's
 * (`csms_core::rotation`), run in the native library with this client's call loop.
 *
 * ```kotlin
 * val result = client.rotate("db-password", apply = { new, old -> database.alterPassword(new, old) }, test = { database.canLogIn(it) })
 * ```
 */
suspend fun CsmsClient.rotate(
    secretName: String,
    strategy: String = "single-user",
    generate: (suspend () -> String)? = null,
    apply: suspend (newValue: String, previousValue: String) -> Unit,
    test: (suspend (newValue: String) -> Boolean)? = null,
): RotationResult {
    val (applying, testing, generating) = Triple(apply, test, generate)
    val callbacks = object : RotationCallbacks {
        override suspend fun apply(newValue: String, previousValue: String) = applying(newValue, previousValue)
        override suspend fun test(newValue: String): Boolean = testing?.invoke(newValue) ?: true
        override suspend fun generate(): String =
            generating?.invoke() ?: throw CsmsException.Validation("generate", "this rotation has no generator")
    }
    return rotateWithCallbacks(secretName, callbacks, NanoClock, strategy, generate != null, test != null, null)
}
