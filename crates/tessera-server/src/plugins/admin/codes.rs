//! The admin plugin's error codes and messages, as Better Auth 1.7.25's `ADMIN_ERROR_CODES` words
//! them, with the status each route answers them with.

use axum::http::StatusCode;
use tessera_core::plugins::admin as spec;

use crate::error::ApiError;

macro_rules! coded {
    ($fn_name:ident, $status:ident, $code:expr) => {
        pub fn $fn_name() -> ApiError {
            ApiError::coded(StatusCode::$status, $code)
        }
    };
}

coded!(
    not_allowed_to_create_users,
    FORBIDDEN,
    spec::YOU_ARE_NOT_ALLOWED_TO_CREATE_USERS
);
coded!(
    not_allowed_to_list_users,
    FORBIDDEN,
    spec::YOU_ARE_NOT_ALLOWED_TO_LIST_USERS
);
coded!(
    not_allowed_to_get_user,
    FORBIDDEN,
    spec::YOU_ARE_NOT_ALLOWED_TO_GET_USER
);
coded!(
    not_allowed_to_update_users,
    FORBIDDEN,
    spec::YOU_ARE_NOT_ALLOWED_TO_UPDATE_USERS
);
coded!(
    not_allowed_to_change_users_role,
    FORBIDDEN,
    spec::YOU_ARE_NOT_ALLOWED_TO_CHANGE_USERS_ROLE
);
coded!(
    not_allowed_to_ban_users,
    FORBIDDEN,
    spec::YOU_ARE_NOT_ALLOWED_TO_BAN_USERS
);
coded!(
    not_allowed_to_impersonate_users,
    FORBIDDEN,
    spec::YOU_ARE_NOT_ALLOWED_TO_IMPERSONATE_USERS
);
coded!(
    not_allowed_to_list_users_sessions,
    FORBIDDEN,
    spec::YOU_ARE_NOT_ALLOWED_TO_LIST_USERS_SESSIONS
);
coded!(
    not_allowed_to_revoke_users_sessions,
    FORBIDDEN,
    spec::YOU_ARE_NOT_ALLOWED_TO_REVOKE_USERS_SESSIONS
);
coded!(
    not_allowed_to_delete_users,
    FORBIDDEN,
    spec::YOU_ARE_NOT_ALLOWED_TO_DELETE_USERS
);
coded!(
    not_allowed_to_set_users_password,
    FORBIDDEN,
    spec::YOU_ARE_NOT_ALLOWED_TO_SET_USERS_PASSWORD
);
coded!(
    not_allowed_to_set_users_email,
    FORBIDDEN,
    spec::YOU_ARE_NOT_ALLOWED_TO_SET_USERS_EMAIL
);
coded!(
    not_allowed_to_set_users_phone_number,
    FORBIDDEN,
    spec::YOU_ARE_NOT_ALLOWED_TO_SET_USERS_PHONE_NUMBER
);
coded!(
    cannot_impersonate_admins,
    FORBIDDEN,
    spec::YOU_CANNOT_IMPERSONATE_ADMINS
);
coded!(
    cannot_ban_yourself,
    BAD_REQUEST,
    spec::YOU_CANNOT_BAN_YOURSELF
);
coded!(
    cannot_remove_yourself,
    BAD_REQUEST,
    spec::YOU_CANNOT_REMOVE_YOURSELF
);
coded!(no_data_to_update, BAD_REQUEST, spec::NO_DATA_TO_UPDATE);
coded!(
    password_cannot_be_updated_via_update_user,
    BAD_REQUEST,
    spec::PASSWORD_CANNOT_BE_UPDATED_VIA_UPDATE_USER
);
coded!(
    user_id_cannot_be_updated,
    BAD_REQUEST,
    spec::USER_ID_CANNOT_BE_UPDATED
);
coded!(invalid_role_type, BAD_REQUEST, spec::INVALID_ROLE_TYPE);
// The admin routes answer a taken email with 400, where sign-up answers 422.
coded!(
    user_already_exists_use_another_email,
    BAD_REQUEST,
    spec::USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL
);
coded!(user_not_found, NOT_FOUND, spec::USER_NOT_FOUND);
/// Better Auth's admin 401: no session, and an empty body.
pub fn no_session() -> ApiError {
    ApiError::empty(StatusCode::UNAUTHORIZED)
}
