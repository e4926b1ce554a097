//! The engine's [`Device`](crate::Device) calls answered from a `tipring_datamodel::Tree`
//! (the agent's TR-181/TR-104 view of a gateway's configuration, CWMP state and live
//! status): the conversions between the data model's values and faults and CWMP's, in one
//! place for every device built on the tree — the agent's and the fleet simulator's.
//!
//! Each function takes the tree of the moment and gives back what the CPE answers (and,
//! for the writes, the new documents for the caller to keep):
//!
//! ```
//! use tipring_datamodel::{CwmpState, DeviceIdentity, LiveState, Tree};
//! let config = tipring_config::GatewayConfig::example(2);
//! let (state, live, identity) =
//!     (CwmpState::default(), LiveState::default(), DeviceIdentity::default());
//! let tree = Tree::new(&config, &state, &live, &identity);
//! let values = tipring_cpe::tree::get_values(&tree, &["Device.DeviceInfo.".to_string()])?;
//! assert!(values.iter().any(|p| p.name == "Device.DeviceInfo.SoftwareVersion"));
//! # Ok::<(), tipring_cwmp::FaultCode>(())
//! ```

use tipring_cwmp::{
    AddObjectResponse, FaultCode, ParameterAttribute, ParameterInfo, ParameterValue,
    SetParameterAttributesStruct, SetParameterValuesFault, Status,
};
use tipring_datamodel::{Applied, Attributes, ParamFault, SetAttribute, Tree, Value, ValueType};

use crate::SetFault;

/// A data-model value as a CWMP ParameterValue (its xsd type carried over).
pub fn to_cwmp(name: String, v: &Value) -> ParameterValue {
    ParameterValue::new(
        name,
        v.to_string(),
        tipring_cwmp::ValueType::from_xsi(v.value_type().xsd_name()),
    )
}

/// A data-model fault as a CWMP fault code.
pub fn fault(f: &ParamFault) -> FaultCode {
    FaultCode(f.code.code())
}

/// The forced Inform parameters.
pub fn inform_parameters(tree: &Tree<'_>) -> Vec<ParameterValue> {
    tree.forced_inform()
        .into_iter()
        .map(|(n, v)| to_cwmp(n, &v))
        .collect()
}

/// GetParameterValues.
pub fn get_values(tree: &Tree<'_>, names: &[String]) -> Result<Vec<ParameterValue>, FaultCode> {
    tree.get(names)
        .map(|v| v.into_iter().map(|(n, v)| to_cwmp(n, &v)).collect())
        .map_err(|f| fault(&f))
}

/// GetParameterNames.
pub fn get_names(tree: &Tree<'_>, path: &str, next: bool) -> Result<Vec<ParameterInfo>, FaultCode> {
    tree.names(path, next)
        .map(|v| {
            v.into_iter()
                .map(|(name, writable)| ParameterInfo { name, writable })
                .collect()
        })
        .map_err(|f| fault(&f))
}

/// SetParameterValues through the tree (validated as a whole, all or nothing): the new
/// documents, or the fault with each failing parameter's own. The ParameterKey is the
/// caller's to record.
pub fn set_values(tree: &Tree<'_>, values: &[ParameterValue]) -> Result<Applied, SetFault> {
    let writes: Vec<(String, String, Option<ValueType>)> = values
        .iter()
        .map(|p| {
            let ty = match &p.kind {
                tipring_cwmp::ValueType::Unknown(_) => None,
                k => ValueType::from_xsd(k.local_name()),
            };
            (p.name.clone(), p.value.clone(), ty)
        })
        .collect();
    tree.set(&writes).map_err(|faults| SetFault {
        code: FaultCode::INVALID_ARGUMENTS,
        parameters: faults
            .iter()
            .map(|(name, f)| SetParameterValuesFault {
                parameter_name: name.clone(),
                fault_code: fault(f),
                fault_string: f.message.clone(),
            })
            .collect(),
    })
}

/// GetParameterAttributes.
pub fn get_attributes(
    tree: &Tree<'_>,
    attributes: &Attributes,
    names: &[String],
) -> Result<Vec<ParameterAttribute>, FaultCode> {
    tree.get_attributes(attributes, names)
        .map(|v| {
            v.into_iter()
                .map(|a| ParameterAttribute {
                    name: a.name,
                    notification: tipring_cwmp::Notification::from_u8(a.notification.code())
                        .unwrap_or_default(),
                    access_list: a.access_list,
                })
                .collect()
        })
        .map_err(|f| fault(&f))
}

/// SetParameterAttributes: the new attributes, all or nothing.
pub fn set_attributes(
    tree: &Tree<'_>,
    attributes: &Attributes,
    changes: &[SetParameterAttributesStruct],
) -> Result<Attributes, FaultCode> {
    let changes: Vec<SetAttribute> = changes
        .iter()
        .map(|a| SetAttribute {
            name: a.name.clone(),
            notification: a
                .notification_change
                .then(|| u32::from(a.notification.as_u8())),
            access_list: a.access_list_change.then(|| a.access_list.clone()),
        })
        .collect();
    tree.set_attributes(attributes, &changes)
        .map_err(|f| fault(&f))
}

/// AddObject (refused where every table is sized by the hardware).
pub fn add_object(tree: &Tree<'_>, object: &str) -> Result<AddObjectResponse, FaultCode> {
    tree.add_object(object)
        .map(|instance_number| AddObjectResponse {
            instance_number,
            status: Status::Applied,
        })
        .map_err(|f| fault(&f))
}

/// DeleteObject.
pub fn delete_object(tree: &Tree<'_>, object: &str) -> Result<Status, FaultCode> {
    tree.delete_object(object)
        .map(|()| Status::Applied)
        .map_err(|f| fault(&f))
}
