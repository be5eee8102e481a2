package csms

import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.flow
import kotlinx.coroutines.flow.map
import kotlinx.coroutines.flow.transform

/*
 * Pagination as flows (issue 18): the core's `Paginator` gives each page's input from the
 * result of the one before; `call` fetches it. Cold flows: each collection starts from the
 * first page, and a page is fetched only when the collector wants it (`take(3)` stops early).
 */

/**
 * The result JSON of each page of [operation] (`ListSecrets`, `ListSecretVersions`,
 * `ListSecretEvents`, `ListSecretTask`, `ListResourceInstances`), starting from [inputJson]
 * (wire names), until the last page. An operation that does not page is
 * `CsmsException.Validation` naming `operation`, thrown when collected.
 */
fun CsmsClient.pages(operation: String, inputJson: String = "{}"): Flow<String> = flow {
    Paginator(operation, inputJson).use { pages ->
        while (true) {
            val input = pages.nextInput() ?: break
            val result = call(operation, input)
            pages.advance(result)
            emit(result)
        }
    }
}

/**
 * The pages of `ListSecrets` ([limit] secrets each, as text like `listSecrets`), from [marker]
 * (the first page when null), each a [ListSecretsResult].
 *
 * ```kotlin
 * client.listSecretsPages(limit = "50").collect { page -> println(page.secrets?.size) }
 * ```
 */
fun CsmsClient.listSecretsPages(limit: String? = null, marker: String? = null, eventName: String? = null): Flow<ListSecretsResult> =
    pages("ListSecrets", CsmsJson.objectOf {
        put("limit", limit)
        put("marker", marker)
        put("event_name", eventName)
    }).map { ListSecretsResult.fromJson(it) }

/**
 * Every secret of every page of `ListSecrets` ([listSecretsPages]), one by one.
 *
 * ```kotlin
 * client.allSecrets(limit = "50").collect { secret -> println(secret.name) }
 * ```
 */
fun CsmsClient.allSecrets(limit: String? = null, marker: String? = null, eventName: String? = null): Flow<Secret> =
    listSecretsPages(limit, marker, eventName).transform { page -> page.secrets?.forEach { emit(it) } }
